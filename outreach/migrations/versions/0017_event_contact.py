"""event contact: a name and a phone residents may call about the event

Revision ID: 0017_event_contact
Revises: 0016_partial_checkin
Create Date: 2026-12-05 20:00:00

Existing events have no contact (empty strings): pages and posters then show none.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_event_contact'
down_revision = '0016_partial_checkin'
branch_labels = None
depends_on = None


# Plain ALTER TABLE: SQLite adds a NOT NULL column with a constant default in place.


def upgrade():
    op.add_column(
        'event',
        sa.Column('contact_name', sa.String(length=40), server_default='', nullable=False),
    )
    op.add_column(
        'event',
        sa.Column('contact_phone', sa.String(length=20), server_default='', nullable=False),
    )


def downgrade():
    op.drop_column('event', 'contact_phone')
    op.drop_column('event', 'contact_name')
