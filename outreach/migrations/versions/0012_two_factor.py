"""two-factor sign-in: a TOTP secret per account, hashed recovery codes, and an
organisation's rule that its members use it

Revision ID: 0012_two_factor
Revises: 0011_phone_verification
Create Date: 2026-12-05 19:00:00

No account has two-factor sign-in after the upgrade: administrators (and members of an
organisation that later requires it) set it up at their next sign-in.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_two_factor'
down_revision = '0011_phone_verification'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode, as in 0010: SQLite's batch copy of staff_user would lose
# the expression index on lower(username); nullable columns and constant defaults are added
# (and, from SQLite 3.35, dropped) in place.


def upgrade():
    op.add_column('staff_user', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('staff_user', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.add_column(
        'staff_user', sa.Column('totp_enrolled_at', sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        'organisation',
        sa.Column('require_two_factor', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_recovery_code_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    op.drop_column('organisation', 'require_two_factor')
    op.drop_column('staff_user', 'totp_enrolled_at')
    op.drop_column('staff_user', 'totp_last_step')
    op.drop_column('staff_user', 'totp_secret')
