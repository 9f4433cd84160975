"""offline check-ins: the keys of check-ins a desk made without network and sent later

Revision ID: 0018_offline_checkins
Revises: 0017_event_contact
Create Date: 2026-12-05 20:15:00

Each check-in made offline carries a key made on the device; the row keeps it (unique), so a
batch sent twice checks no one in twice, and says what became of it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_offline_checkins'
down_revision = '0017_event_contact'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'offline_check_in',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('people', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('synced_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_offline_check_in_registration_id_registration'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_offline_check_in_session_id_event_session'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['synced_by_id'], ['staff_user.id'], name=op.f('fk_offline_check_in_synced_by_id_staff_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_check_in')),
        sa.UniqueConstraint('key', name=op.f('uq_offline_check_in_key')),
    )
    with op.batch_alter_table('offline_check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_check_in_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offline_check_in_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offline_check_in_synced_by_id'), ['synced_by_id'], unique=False)


def downgrade():
    op.drop_table('offline_check_in')
