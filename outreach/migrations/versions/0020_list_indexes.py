"""list indexes: staff lists and the API read keyset pages along these

Revision ID: 0020_list_indexes
Revises: 0019_registration_counters
Create Date: 2026-12-05 22:00:00

Places and organisations are listed by name (name, id); the audit trail and the outbox newest
first by id, filtered by organisation, action or status. Each page then reads only its own
rows of one index, however long the list.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020_list_indexes'
down_revision = '0019_registration_counters'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_township_name_id', 'township', ['name', 'id']),
    ('ix_community_name_id', 'community', ['name', 'id']),
    ('ix_venue_name_id', 'venue', ['name', 'id']),
    ('ix_organisation_name_id', 'organisation', ['name', 'id']),
    ('ix_audit_entry_organisation_id_id', 'audit_entry', ['organisation_id', 'id']),
    ('ix_audit_entry_action_id', 'audit_entry', ['action', 'id']),
    ('ix_message_status_id', 'message', ['status', 'id']),
)


def upgrade():
    for name, table, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
