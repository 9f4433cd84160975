"""follows: followers of a place, organisation or category; digests in the outbox

Revision ID: 0025_follows
Revises: 0024_official_calendar
Create Date: 2026-12-06 01:20:00

A follower is a mobile number or an e-mail address (personal data, erased by the retention
purge a year after the last activity; the rows stay for the counts). The outbox's messages
may now belong to a follower instead of a registration, and have two new kinds. An event
remembers when it was first published (digests tell what was published since the last one);
events published before this migration count as published when they were made.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_follows'
down_revision = '0024_official_calendar'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'confirmed', 'waitlisted', 'promoted', 'cancelled', 'session_cancelled',
    'session_rescheduled', 'session_restored', 'reminder', 'notice',
)
NEW_KINDS = OLD_KINDS + ('follow_confirm', 'digest')


def _enum(name, values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _kinds_check(kinds):
    listed = ', '.join(f"'{kind}'" for kind in kinds)
    return f'kind IN ({listed})'


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE event SET published_at = created_at WHERE status IN ('published', 'cancelled')"
    )
    op.create_table(
        'follower',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', _enum('follower_channel', ('email', 'sms')), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('address_key', sa.String(length=64), nullable=False),
        sa.Column('token', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('active_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('told_through', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follower')),
        sa.UniqueConstraint('address_key', name=op.f('uq_follower_address_key')),
        sa.UniqueConstraint('token', name=op.f('uq_follower_token')),
    )
    op.create_index(op.f('ix_follower_active_at'), 'follower', ['active_at'], unique=False)
    op.create_table(
        'follow',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('follower_id', sa.Integer(), nullable=False),
        sa.Column(
            'scope',
            _enum('follow_scope', ('townships', 'communities', 'organisations', 'categories')),
            nullable=False,
        ),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['follower_id'], ['follower.id'],
            name=op.f('fk_follow_follower_id_follower'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow')),
        sa.UniqueConstraint(
            'follower_id', 'scope', 'target_id',
            name=op.f('uq_follow_follower_id_scope_target_id'),
        ),
    )
    op.create_index(op.f('ix_follow_follower_id'), 'follow', ['follower_id'], unique=False)
    op.create_index('ix_follow_scope_target_id', 'follow', ['scope', 'target_id'], unique=False)
    _alter_message(NEW_KINDS, upgrade=True)


def _alter_message(kinds, upgrade):
    with op.batch_alter_table('message', schema=None) as batch_op:
        if upgrade:
            batch_op.add_column(sa.Column('follower_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f('ix_message_follower_id'), ['follower_id'], unique=False)
            batch_op.create_foreign_key(
                batch_op.f('fk_message_follower_id_follower'), 'follower',
                ['follower_id'], ['id'], ondelete='CASCADE',
            )
            batch_op.alter_column('registration_id', existing_type=sa.Integer(), nullable=True)
        else:
            batch_op.drop_constraint(batch_op.f('fk_message_follower_id_follower'), type_='foreignkey')
            batch_op.drop_index(batch_op.f('ix_message_follower_id'))
            batch_op.drop_column('follower_id')
            batch_op.alter_column('registration_id', existing_type=sa.Integer(), nullable=False)
        # SQLite's rebuilt copy keeps the CHECKs it reflects: the kinds' one is replaced.
        batch_op.drop_constraint(batch_op.f('ck_message_message_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_message_message_kind'), _kinds_check(kinds))


def downgrade():
    op.execute("DELETE FROM message WHERE registration_id IS NULL")
    _alter_message(OLD_KINDS, upgrade=False)
    op.drop_index('ix_follow_scope_target_id', table_name='follow')
    op.drop_index(op.f('ix_follow_follower_id'), table_name='follow')
    op.drop_table('follow')
    op.drop_index(op.f('ix_follower_active_at'), table_name='follower')
    op.drop_table('follower')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('published_at')
