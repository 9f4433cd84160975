"""named rows keep their last change: townships, communities, venues, organisations, categories

Revision ID: 0021_named_updated_at
Revises: 0020_list_indexes
Create Date: 2026-12-05 22:05:00

Public pages are cached under a data version; a renamed place, organisation or category (or
a new English name) must move it. Each of these tables gets `updated_at`, indexed so that the
version reads its latest value from the index; existing rows start at the migration's time.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_named_updated_at'
down_revision = '0020_list_indexes'
branch_labels = None
depends_on = None

TABLES = ('township', 'community', 'venue', 'organisation', 'category')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    'updated_at',
                    sa.DateTime(timezone=True),
                    nullable=False,
                    server_default=sa.func.current_timestamp(),
                )
            )
            # The application sets the value; the server's default fills existing rows and
            # rows loaded in bulk (bench/generate).
            batch_op.create_index(batch_op.f(f'ix_{table}_updated_at'), ['updated_at'], unique=False)


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_updated_at'))
            batch_op.drop_column('updated_at')
