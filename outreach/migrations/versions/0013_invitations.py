"""invitations: a manager offers a role to a username; the account holder accepts it

Revision ID: 0013_invitations
Revises: 0012_two_factor
Create Date: 2026-12-05 19:00:00

Managers no longer add an existing account to their organisation directly (the answer told
them whether the username existed): they invite a username, and whoever holds it accepts.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_invitations'
down_revision = '0012_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('role', sa.Enum('manager', 'organiser', 'checker', name='invitation_role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['staff_user.id'], name=op.f('fk_invitation_invited_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_invitation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('organisation_id', 'username', name=op.f('uq_invitation_organisation_id_username'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_username'), ['username'], unique=False)


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_username'))
    op.drop_table('invitation')
