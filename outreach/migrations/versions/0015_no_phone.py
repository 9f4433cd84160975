"""no phone: staff may register a resident without a mobile number, with a note instead

Revision ID: 0015_no_phone
Revises: 0013_invitations
Create Date: 2026-12-05 20:00:00

`registration.phone` becomes nullable (NULL: the resident has no mobile phone) and
`registration.contact_note` says how to reach them instead (a proxy's relation, a landline).
SQLite cannot alter a column's nullability in place: batch mode rebuilds the table. The
partial unique index on (session_id, phone) holds as it is: NULLs never collide in it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_no_phone'
down_revision = '0013_invitations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_note', sa.String(length=100), nullable=True))
        batch_op.alter_column('phone', existing_type=sa.String(length=20), nullable=True)


def downgrade():
    # A number is needed again: registrations without one get a placeholder unique per row
    # (as the retention purge writes), so the one-number-per-session index never trips.
    registration = sa.table('registration', sa.column('id', sa.Integer), sa.column('phone', sa.String))
    op.execute(
        registration.update()
        .where(registration.c.phone.is_(None))
        .values(phone=sa.literal('none:', sa.String) + sa.cast(registration.c.id, sa.String))
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column('contact_note')
