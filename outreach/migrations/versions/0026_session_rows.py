"""session rows: each session's statistics row copies where, when and what it is

Revision ID: 0026_session_rows
Revises: 0025_follows
Create Date: 2026-12-06 04:30:00

The statistics pages joined each session's tally with the session, its event, its venue and
its slots: a week of a city cost a hash of every event and venue. The tally row now copies
the session's start and end, event, organisation, category, statuses, township, community,
capacity and slot places, kept by triggers on event_session, event, venue and slot
(outreach/stats/tally.py), and a page reads its period's rows along one index. Every row is
written again here from the live tables (with the registrations' counts), then indexed. The
SQL is frozen in this file so that later changes to the module do not rewrite history.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_session_rows'
down_revision = '0025_follows'
branch_labels = None
depends_on = None

INTEGERS = ('event_id', 'organisation_id', 'category_id', 'township_id', 'community_id')
SQLITE_CREATE = (
    'CREATE TRIGGER session_tally_session_insert AFTER INSERT ON event_session BEGIN INSERT INTO session_tally (session_id, starts_at, ends_at, event_id, organisation_id, category_id, event_status, township_id, community_id, session_status, capacity, slot_places) SELECT NEW.id, NEW.starts_at, NEW.ends_at, NEW.event_id, e.organisation_id, e.category_id, e.status, v.township_id, v.community_id, NEW.status, NEW.capacity, (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = NEW.id) FROM event AS e, venue AS v WHERE e.id = NEW.event_id AND v.id = NEW.venue_id ON CONFLICT (session_id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, event_id = excluded.event_id, organisation_id = excluded.organisation_id, category_id = excluded.category_id, event_status = excluded.event_status, township_id = excluded.township_id, community_id = excluded.community_id, session_status = excluded.session_status, capacity = excluded.capacity, slot_places = excluded.slot_places; END',
    'CREATE TRIGGER session_tally_session_update AFTER UPDATE ON event_session WHEN OLD.starts_at IS NOT NEW.starts_at OR OLD.ends_at IS NOT NEW.ends_at OR OLD.event_id IS NOT NEW.event_id OR OLD.venue_id IS NOT NEW.venue_id OR OLD.capacity IS NOT NEW.capacity OR OLD.status IS NOT NEW.status BEGIN INSERT INTO session_tally (session_id, starts_at, ends_at, event_id, organisation_id, category_id, event_status, township_id, community_id, session_status, capacity, slot_places) SELECT NEW.id, NEW.starts_at, NEW.ends_at, NEW.event_id, e.organisation_id, e.category_id, e.status, v.township_id, v.community_id, NEW.status, NEW.capacity, (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = NEW.id) FROM event AS e, venue AS v WHERE e.id = NEW.event_id AND v.id = NEW.venue_id ON CONFLICT (session_id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, event_id = excluded.event_id, organisation_id = excluded.organisation_id, category_id = excluded.category_id, event_status = excluded.event_status, township_id = excluded.township_id, community_id = excluded.community_id, session_status = excluded.session_status, capacity = excluded.capacity, slot_places = excluded.slot_places; END',
    'CREATE TRIGGER session_tally_session_delete AFTER DELETE ON event_session BEGIN DELETE FROM session_tally WHERE session_id = OLD.id; END',
    'CREATE TRIGGER session_tally_event_update AFTER UPDATE ON event WHEN OLD.status IS NOT NEW.status OR OLD.organisation_id IS NOT NEW.organisation_id OR OLD.category_id IS NOT NEW.category_id BEGIN UPDATE session_tally SET event_status = NEW.status, organisation_id = NEW.organisation_id, category_id = NEW.category_id WHERE event_id = NEW.id; END',
    'CREATE TRIGGER session_tally_venue_update AFTER UPDATE ON venue WHEN OLD.township_id IS NOT NEW.township_id OR OLD.community_id IS NOT NEW.community_id BEGIN UPDATE session_tally SET township_id = NEW.township_id, community_id = NEW.community_id WHERE session_id IN (SELECT id FROM event_session WHERE venue_id = NEW.id); END',
    'CREATE TRIGGER session_tally_slot_insert AFTER INSERT ON slot BEGIN UPDATE session_tally SET slot_places = (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = NEW.session_id) WHERE session_id = NEW.session_id; END',
    'CREATE TRIGGER session_tally_slot_update AFTER UPDATE ON slot WHEN OLD.capacity IS NOT NEW.capacity OR OLD.session_id IS NOT NEW.session_id BEGIN UPDATE session_tally SET slot_places = (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = OLD.session_id) WHERE session_id = OLD.session_id; UPDATE session_tally SET slot_places = (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = NEW.session_id) WHERE session_id = NEW.session_id; END',
    'CREATE TRIGGER session_tally_slot_delete AFTER DELETE ON slot BEGIN UPDATE session_tally SET slot_places = (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = OLD.session_id) WHERE session_id = OLD.session_id; END',
)
SQLITE_DROP = (
    'DROP TRIGGER IF EXISTS session_tally_session_insert',
    'DROP TRIGGER IF EXISTS session_tally_session_update',
    'DROP TRIGGER IF EXISTS session_tally_session_delete',
    'DROP TRIGGER IF EXISTS session_tally_event_update',
    'DROP TRIGGER IF EXISTS session_tally_venue_update',
    'DROP TRIGGER IF EXISTS session_tally_slot_insert',
    'DROP TRIGGER IF EXISTS session_tally_slot_update',
    'DROP TRIGGER IF EXISTS session_tally_slot_delete',
)
POSTGRESQL_CREATE = (
    "CREATE OR REPLACE FUNCTION session_tally_session() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN DELETE FROM session_tally WHERE session_id = OLD.id; ELSE INSERT INTO session_tally (session_id, starts_at, ends_at, event_id, organisation_id, category_id, event_status, township_id, community_id, session_status, capacity, slot_places) SELECT NEW.id, NEW.starts_at, NEW.ends_at, NEW.event_id, e.organisation_id, e.category_id, e.status, v.township_id, v.community_id, NEW.status, NEW.capacity, (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = NEW.id) FROM event AS e, venue AS v WHERE e.id = NEW.event_id AND v.id = NEW.venue_id ON CONFLICT (session_id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, event_id = excluded.event_id, organisation_id = excluded.organisation_id, category_id = excluded.category_id, event_status = excluded.event_status, township_id = excluded.township_id, community_id = excluded.community_id, session_status = excluded.session_status, capacity = excluded.capacity, slot_places = excluded.slot_places; END IF; RETURN NULL; END $$",
    'CREATE TRIGGER session_tally_session_rows AFTER INSERT OR DELETE ON event_session FOR EACH ROW EXECUTE FUNCTION session_tally_session()',
    'CREATE TRIGGER session_tally_session_update AFTER UPDATE ON event_session FOR EACH ROW WHEN (OLD.starts_at IS DISTINCT FROM NEW.starts_at OR OLD.ends_at IS DISTINCT FROM NEW.ends_at OR OLD.event_id IS DISTINCT FROM NEW.event_id OR OLD.venue_id IS DISTINCT FROM NEW.venue_id OR OLD.capacity IS DISTINCT FROM NEW.capacity OR OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION session_tally_session()',
    'CREATE OR REPLACE FUNCTION session_tally_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE session_tally SET event_status = NEW.status, organisation_id = NEW.organisation_id, category_id = NEW.category_id WHERE event_id = NEW.id; RETURN NULL; END $$',
    'CREATE TRIGGER session_tally_event_update AFTER UPDATE ON event FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id OR OLD.category_id IS DISTINCT FROM NEW.category_id) EXECUTE FUNCTION session_tally_event()',
    'CREATE OR REPLACE FUNCTION session_tally_venue() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE session_tally SET township_id = NEW.township_id, community_id = NEW.community_id WHERE session_id IN (SELECT id FROM event_session WHERE venue_id = NEW.id); RETURN NULL; END $$',
    'CREATE TRIGGER session_tally_venue_update AFTER UPDATE ON venue FOR EACH ROW WHEN (OLD.township_id IS DISTINCT FROM NEW.township_id OR OLD.community_id IS DISTINCT FROM NEW.community_id) EXECUTE FUNCTION session_tally_venue()',
    "CREATE OR REPLACE FUNCTION session_tally_slot() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP IN ('UPDATE', 'DELETE') THEN UPDATE session_tally SET slot_places = (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = OLD.session_id) WHERE session_id = OLD.session_id; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE session_tally SET slot_places = (SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = NEW.session_id) WHERE session_id = NEW.session_id; END IF; RETURN NULL; END $$",
    'CREATE TRIGGER session_tally_slot_rows AFTER INSERT OR DELETE ON slot FOR EACH ROW EXECUTE FUNCTION session_tally_slot()',
    'CREATE TRIGGER session_tally_slot_update AFTER UPDATE ON slot FOR EACH ROW WHEN (OLD.capacity IS DISTINCT FROM NEW.capacity OR OLD.session_id IS DISTINCT FROM NEW.session_id) EXECUTE FUNCTION session_tally_slot()',
)
POSTGRESQL_DROP = (
    'DROP TRIGGER IF EXISTS session_tally_session_update ON event_session',
    'DROP TRIGGER IF EXISTS session_tally_session_rows ON event_session',
    'DROP TRIGGER IF EXISTS session_tally_event_update ON event',
    'DROP TRIGGER IF EXISTS session_tally_venue_update ON venue',
    'DROP TRIGGER IF EXISTS session_tally_slot_update ON slot',
    'DROP TRIGGER IF EXISTS session_tally_slot_rows ON slot',
    'DROP FUNCTION IF EXISTS session_tally_session()',
    'DROP FUNCTION IF EXISTS session_tally_event()',
    'DROP FUNCTION IF EXISTS session_tally_venue()',
    'DROP FUNCTION IF EXISTS session_tally_slot()',
)
RECOUNT = (
    'DELETE FROM session_tally',
    "INSERT INTO session_tally (session_id, registrations, people, checked_in, checked_in_people, waitlisted_ever, waitlisted_ever_people, promoted, waiting, waiting_people, starts_at, ends_at, event_id, organisation_id, category_id, event_status, township_id, community_id, session_status, capacity, slot_places) SELECT s.id, coalesce(r.registrations, 0), coalesce(r.people, 0), coalesce(r.checked_in, 0), coalesce(r.checked_in_people, 0), coalesce(r.waitlisted_ever, 0), coalesce(r.waitlisted_ever_people, 0), coalesce(r.promoted, 0), coalesce(r.waiting, 0), coalesce(r.waiting_people, 0), s.starts_at, s.ends_at, s.event_id, e.organisation_id, e.category_id, e.status, v.township_id, v.community_id, s.status, s.capacity, sl.places FROM event_session AS s JOIN event AS e ON e.id = s.event_id JOIN venue AS v ON v.id = s.venue_id LEFT JOIN (SELECT r.session_id, sum(CASE WHEN r.status = 'confirmed' THEN 1 ELSE 0 END) AS registrations, sum(CASE WHEN r.status = 'confirmed' THEN r.party_size ELSE 0 END) AS people, sum(CASE WHEN r.status = 'confirmed' AND r.arrived > 0 THEN 1 ELSE 0 END) AS checked_in, sum(CASE WHEN r.status = 'confirmed' AND r.arrived > 0 THEN r.arrived ELSE 0 END) AS checked_in_people, sum(CASE WHEN r.status = 'waitlisted' OR r.promoted_at IS NOT NULL OR (r.status = 'cancelled' AND r.confirmed_at IS NULL) THEN 1 ELSE 0 END) AS waitlisted_ever, sum(CASE WHEN r.status = 'waitlisted' OR r.promoted_at IS NOT NULL OR (r.status = 'cancelled' AND r.confirmed_at IS NULL) THEN r.party_size ELSE 0 END) AS waitlisted_ever_people, sum(CASE WHEN r.promoted_at IS NOT NULL THEN 1 ELSE 0 END) AS promoted, sum(CASE WHEN r.status = 'waitlisted' THEN 1 ELSE 0 END) AS waiting, sum(CASE WHEN r.status = 'waitlisted' THEN r.party_size ELSE 0 END) AS waiting_people FROM registration AS r GROUP BY r.session_id) AS r ON r.session_id = s.id LEFT JOIN (SELECT session_id, sum(capacity) AS places FROM slot GROUP BY session_id) AS sl ON sl.session_id = s.id ORDER BY s.starts_at, s.id",
)


def upgrade():
    with op.batch_alter_table('session_tally', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))
        for name in INTEGERS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('event_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('session_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('slot_places', sa.Integer(), nullable=True))
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        # Room on each page for a row's next version: updates stay in place (heap-only).
        op.execute('ALTER TABLE session_tally SET (fillfactor = 75)')
    # Rewritten whole, in the order of the sessions' start, then indexed: faster than
    # updating half a million indexed rows, and a week's rows end up side by side.
    # (Emptied by TRUNCATE on PostgreSQL: no dead copy of every row left behind.)
    op.execute('TRUNCATE session_tally' if postgresql else RECOUNT[0])
    op.execute(RECOUNT[1])
    with op.batch_alter_table('session_tally', schema=None) as batch_op:
        batch_op.create_index('ix_session_tally_starts_at', ['starts_at'], unique=False)
        batch_op.create_index('ix_session_tally_event_id', ['event_id'], unique=False)
    for statement in POSTGRESQL_CREATE if postgresql else SQLITE_CREATE:
        op.execute(statement)
    if postgresql:
        op.execute('ANALYZE session_tally')


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        op.execute(statement)
    if postgresql:
        op.execute('ALTER TABLE session_tally RESET (fillfactor)')
    op.drop_index('ix_session_tally_event_id', table_name='session_tally')
    op.drop_index('ix_session_tally_starts_at', table_name='session_tally')
    # Column by column (SQLite 3.35 drops a column in place): a batch copy of the table would
    # trip over the triggers on registration that write to it.
    for name in ('starts_at', 'ends_at', *INTEGERS, 'event_status', 'session_status',
                 'capacity', 'slot_places'):
        op.execute(f'ALTER TABLE session_tally DROP COLUMN {name}')
