"""session version: staff sessions and remember-me cookies carry it; raising it ends them

Revision ID: 0010_session_version
Revises: 0009_readable_category_colours
Create Date: 2026-12-05 17:50:00

Every existing account starts at version 1. Sessions signed in before this migration hold a
bare account id and are refused, so everyone signs in once more.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_session_version'
down_revision = '0009_readable_category_colours'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: SQLite's batch copy would lose the expression index on
# lower(username). SQLite adds a NOT NULL column with a constant default, and drops one
# (3.35 and later), in place.


def upgrade():
    op.add_column(
        'staff_user',
        sa.Column('session_version', sa.Integer(), server_default='1', nullable=False),
    )


def downgrade():
    op.drop_column('staff_user', 'session_version')
