"""registration counters: seats taken and waitlist length kept on the session and slot rows

Revision ID: 0019_registration_counters
Revises: 0018_offline_checkins
Create Date: 2026-12-05 22:15:00

A registration reads the seats taken from the session row it locks, instead of summing the
session's confirmed registrations under the lock; triggers on registration keep the counters
right on every change. Existing rows are counted once here.

The SQL is written out here, frozen as of this revision: the model's copy
(outreach/registrations/counters.py) may change later, this migration must not.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0019_registration_counters'
down_revision = '0018_offline_checkins'
branch_labels = None
depends_on = None

# What a registration row (NEW or OLD) adds ({sign} +) or takes away (-) from the counters.
_SESSION = (
    "UPDATE event_session SET"
    " seats_taken = seats_taken {sign} CASE WHEN {row}.status = 'confirmed'"
    " THEN {row}.party_size ELSE 0 END,"
    " waitlist_length = waitlist_length {sign} CASE WHEN {row}.status = 'waitlisted'"
    " THEN 1 ELSE 0 END"
    " WHERE id = {row}.session_id AND {row}.status <> 'cancelled';"
)
_SLOT = (
    "UPDATE slot SET seats_taken = seats_taken {sign} {row}.party_size"
    " WHERE id = {row}.slot_id AND {row}.status = 'confirmed';"
)
_CHANGED = (
    "OLD.status IS NOT NEW.status OR OLD.party_size IS NOT NEW.party_size"
    " OR OLD.slot_id IS NOT NEW.slot_id OR OLD.session_id IS NOT NEW.session_id"
)


def _apply(row, sign):
    return _SESSION.format(row=row, sign=sign) + " " + _SLOT.format(row=row, sign=sign)


CREATE = {
    'sqlite': (
        "CREATE TRIGGER registration_counters_insert AFTER INSERT ON registration"
        f" BEGIN {_apply('NEW', '+')} END",
        "CREATE TRIGGER registration_counters_update AFTER UPDATE ON registration"
        f" WHEN {_CHANGED} BEGIN {_apply('OLD', '-')} {_apply('NEW', '+')} END",
        "CREATE TRIGGER registration_counters_delete AFTER DELETE ON registration"
        f" BEGIN {_apply('OLD', '-')} END",
    ),
    'postgresql': (
        "CREATE FUNCTION registration_counters() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF TG_OP IN ('UPDATE', 'DELETE') THEN " + _apply('OLD', '-') + " END IF;"
        " IF TG_OP IN ('INSERT', 'UPDATE') THEN " + _apply('NEW', '+') + " END IF;"
        " RETURN NULL; END $$",
        "CREATE TRIGGER registration_counters_rows AFTER INSERT OR DELETE ON registration"
        " FOR EACH ROW EXECUTE FUNCTION registration_counters()",
        "CREATE TRIGGER registration_counters_update AFTER UPDATE ON registration FOR EACH ROW"
        f" WHEN ({_CHANGED.replace('IS NOT', 'IS DISTINCT FROM')})"
        " EXECUTE FUNCTION registration_counters()",
    ),
}
DROP = {
    'sqlite': (
        "DROP TRIGGER IF EXISTS registration_counters_insert",
        "DROP TRIGGER IF EXISTS registration_counters_update",
        "DROP TRIGGER IF EXISTS registration_counters_delete",
    ),
    'postgresql': (
        "DROP TRIGGER IF EXISTS registration_counters_update ON registration",
        "DROP TRIGGER IF EXISTS registration_counters_rows ON registration",
        "DROP FUNCTION IF EXISTS registration_counters()",
    ),
}
RECOUNT = (
    "UPDATE event_session SET"
    " seats_taken = coalesce((SELECT sum(r.party_size) FROM registration r"
    " WHERE r.session_id = event_session.id AND r.status = 'confirmed'), 0),"
    " waitlist_length = (SELECT count(*) FROM registration r"
    " WHERE r.session_id = event_session.id AND r.status = 'waitlisted')",
    "UPDATE slot SET seats_taken = coalesce((SELECT sum(r.party_size) FROM registration r"
    " WHERE r.slot_id = slot.id AND r.status = 'confirmed'), 0)",
)


def upgrade():
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_taken', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('waitlist_length', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_taken', sa.Integer(), server_default='0', nullable=False))
    dialect = op.get_bind().dialect.name
    for statement in RECOUNT:
        op.execute(statement)
    for statement in CREATE[dialect]:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP[dialect]:
        op.execute(statement)
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_column('seats_taken')
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.drop_column('waitlist_length')
        batch_op.drop_column('seats_taken')
