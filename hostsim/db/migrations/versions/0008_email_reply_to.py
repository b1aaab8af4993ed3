"""email_log.reply_to: the address a reply goes to, when it is not the sender's

A Contact Us message is sent from the company's address to the company's contact address; its
``Reply-To`` is the visitor's address, so answering it reaches the visitor. Empty for every
other message.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 02:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('email_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=255), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('email_log', schema=None) as batch_op:
        batch_op.drop_column('reply_to')
