"""status warnings: the emails sent before an invoice would lock or suspend a SolusIO user (addon 1.4.0)

``mod_solusio_status_warnings`` holds one row per invoice and stage (``lock``, ``suspend``),
UNIQUE, so that each warning is sent once however often the daily run repeats.
``mod_solusio_signups.currency_code``: the currency a visitor chose on the signup form, which
their account gets ('' for the host's default, as signups made before had).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import hostsim.addon_api

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mod_solusio_signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency_code', sa.String(length=3), server_default='', nullable=False))
    op.create_table('mod_solusio_status_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('created_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'],
                            name=op.f('fk_mod_solusio_status_warnings_invoice_id_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_status_warnings')),
    sa.UniqueConstraint('invoice_id', 'stage', name=op.f('uq_mod_solusio_status_warnings_invoice_id_stage'))
    )
    with op.batch_alter_table('mod_solusio_status_warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_status_warnings_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mod_solusio_status_warnings_invoice_id'), ['invoice_id'], unique=False)


def downgrade() -> None:
    op.drop_table('mod_solusio_status_warnings')
    with op.batch_alter_table('mod_solusio_signups', schema=None) as batch_op:
        batch_op.drop_column('currency_code')
