"""phone verification: one-time codes and the day's text count per number, keyed by an HMAC

Revision ID: 0011_phone_verification
Revises: 0010_session_version
Create Date: 2026-12-05 19:00:00

The table holds no phone number: `phone_key` and `code_hash` are HMACs keyed with the
secret key. Rows untouched for a day are erased by the retention purge.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0011_phone_verification'
down_revision = '0010_session_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'phone_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone_key', sa.String(length=64), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('code_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('code_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('tries_used', sa.Integer(), nullable=False),
        sa.Column('texts_day', sa.Date(), nullable=True),
        sa.Column('texts_sent', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_check')),
        sa.UniqueConstraint('phone_key', name=op.f('uq_phone_check_phone_key')),
    )
    op.create_index(
        op.f('ix_phone_check_updated_at'), 'phone_check', ['updated_at'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_phone_check_updated_at'), table_name='phone_check')
    op.drop_table('phone_check')
