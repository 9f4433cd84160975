"""english content: optional English texts of events, slots and venue addresses

Revision ID: 0008_english_content
Revises: 0007_outbox
Create Date: 2026-12-05 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_english_content'
down_revision = '0007_outbox'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_en', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('summary_en', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('audience_en', sa.String(length=200), nullable=True))

    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_en', sa.String(length=100), nullable=True))

    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_en', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_column('address_en')

    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_column('label_en')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('audience_en')
        batch_op.drop_column('description_en')
        batch_op.drop_column('summary_en')
        batch_op.drop_column('title_en')
