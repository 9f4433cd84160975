"""registration counters: seats taken and waitlist length kept on the session and slot rows

Revision ID: 0019_registration_counters
Revises: 0018_offline_checkins
Create Date: 2026-12-05 22:15:00

A registration reads the seats taken from the session row it locks, instead of summing the
session's confirmed registrations under the lock; triggers on registration keep the counters
right on every change. Existing rows are counted once here.
"""
from alembic import op
import sqlalchemy as sa

from outreach.registrations import counters


# revision identifiers, used by Alembic.
revision = '0019_registration_counters'
down_revision = '0018_offline_checkins'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_taken', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('waitlist_length', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_taken', sa.Integer(), server_default='0', nullable=False))
    dialect = op.get_bind().dialect.name
    for statement in counters.RECOUNT:
        op.execute(statement)
    for statement in counters.create_statements(dialect):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in counters.drop_statements(dialect):
        op.execute(statement)
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_column('seats_taken')
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.drop_column('waitlist_length')
        batch_op.drop_column('seats_taken')
