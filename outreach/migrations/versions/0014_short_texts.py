"""short texts: a short link key per registration; a text message's template and variables

Revision ID: 0014_short_texts
Revises: 0013_invitations
Create Date: 2026-12-05 20:10:00

Text messages fit one SMS segment (70 characters in Chinese): the manage page gets a short
alias, /s/<link_key>, 10 random letters and digits. Existing registrations get one here.
Each outgoing text keeps its template's name and variables for gateways that send only
approved templates (OUTREACH_SMS_TEMPLATE_MODE).
"""
import secrets
import string

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_short_texts'
down_revision = '0013_invitations'
branch_labels = None
depends_on = None

ALPHABET = string.ascii_letters + string.digits


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_key', sa.String(length=16), nullable=True))
    registration = sa.table('registration', sa.column('id', sa.Integer), sa.column('link_key', sa.String))
    connection = op.get_bind()
    ids = connection.execute(sa.select(registration.c.id)).scalars().all()
    for registration_id in ids:
        key = ''.join(secrets.choice(ALPHABET) for _ in range(10))
        connection.execute(
            registration.update().where(registration.c.id == registration_id).values(link_key=key)
        )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_registration_link_key'), ['link_key'])

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_template', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sms_params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('sms_params')
        batch_op.drop_column('sms_template')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_link_key'), type_='unique')
        batch_op.drop_column('link_key')
