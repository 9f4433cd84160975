"""official calendar: China's statutory holidays and make-up workdays, and series that follow them

Revision ID: 0024_official_calendar
Revises: 0022_session_tally
Create Date: 2026-12-06 01:00:00

The table starts empty: `flask seed-holidays` fills the years the chinesecalendar package
knows (and only years the table does not have yet), administrators add the next year's
arrangement on the staff page. Existing series keep their dates (both options off).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_official_calendar'
down_revision = '0022_session_tally'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'official_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.Enum('holiday', 'workday', name='day_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_official_day')),
        sa.UniqueConstraint('day', name=op.f('uq_official_day_day')),
    )
    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skip_holidays', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('working_calendar', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.drop_column('working_calendar')
        batch_op.drop_column('skip_holidays')
    op.drop_table('official_day')
