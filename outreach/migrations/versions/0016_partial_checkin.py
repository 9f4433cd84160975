"""partial check-in: how many people of a party have arrived

Revision ID: 0016_partial_checkin
Revises: 0015_no_phone
Create Date: 2026-12-05 20:00:00

A family of three may arrive two now and one later: the desk records how many came. A
registration checked in before this revision counts its whole party as arrived.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_partial_checkin'
down_revision = '0015_no_phone'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrived', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_registration_arrived_not_negative'), 'arrived >= 0')
    op.execute('UPDATE registration SET arrived = party_size WHERE checked_in_at IS NOT NULL')


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registration_arrived_not_negative'), type_='check')
        batch_op.drop_column('arrived')
