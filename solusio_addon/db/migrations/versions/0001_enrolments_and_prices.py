"""token prices, enrolments and SSO links (addon 1.0.0)

Revision ID: 0001
Revises: None
"""
import sqlalchemy as sa
from alembic import op

import hostsim.addon_api

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mod_solusio_token_prices',
    sa.Column('currency_id', sa.Integer(), nullable=False),
    sa.Column('price', hostsim.addon_api.ExactDecimal(20, 4), nullable=False),
    sa.Column('updated_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['currency_id'], ['currencies.id'], name=op.f('fk_mod_solusio_token_prices_currency_id_currencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('currency_id', name=op.f('pk_mod_solusio_token_prices'))
    )
    op.create_table('mod_solusio_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('solusio_user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'active', 'locked', 'suspended', name='enrolmentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('status_invoice_id', sa.Integer(), nullable=True),
    sa.Column('status_changed_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.Column('exempt_from_overdue', sa.Boolean(), nullable=False),
    sa.Column('pending_password', sa.Text(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('tos_accepted_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.Column('tos_accepted_ip', sa.String(length=64), nullable=False),
    sa.Column('postpay_terms_url', sa.String(length=500), nullable=False),
    sa.Column('postpay_terms_accepted_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.Column('postpay_terms_accepted_ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('provisioned_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_mod_solusio_enrolments_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_invoice_id'], ['invoices.id'], name=op.f('fk_mod_solusio_enrolments_status_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_enrolments')),
    sa.UniqueConstraint('client_id', name=op.f('uq_mod_solusio_enrolments_client_id')),
    sa.UniqueConstraint('solusio_user_id', name=op.f('uq_mod_solusio_enrolments_solusio_user_id'))
    )
    with op.batch_alter_table('mod_solusio_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_enrolments_status'), ['status'], unique=False)

    op.create_table('mod_solusio_sso_links',
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=20), nullable=False),
    sa.Column('expires_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('used_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_mod_solusio_sso_links_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('nonce_hash', name=op.f('pk_mod_solusio_sso_links'))
    )
    with op.batch_alter_table('mod_solusio_sso_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_sso_links_expires_at'), ['expires_at'], unique=False)



def downgrade() -> None:
    op.drop_table('mod_solusio_sso_links')
    op.drop_table('mod_solusio_enrolments')
    op.drop_table('mod_solusio_token_prices')
