"""payment gateways, their settings and callback log; account credit ledger; payment idempotency

``gateways``: one row per ACTIVE gateway module (display name, order, the currencies it takes;
an empty list means every currency); deactivation deletes it with its settings.
``gateway_settings``: a gateway's configuration, secrets encrypted as addon settings are.
``gateway_log``: every callback a gateway received, its raw body with secrets masked, and what
the host made of it. ``credit_log``: the ledger behind ``clients.credit`` (signed amounts, the
balance after each entry, the reason). ``payments.txn_key`` is the gateway's transaction id, or
NULL when there is none; UNIQUE with the gateway, so the same callback twice records one payment
on every backend (NULLs never collide, and MariaDB has no partial indexes).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 18:00:00
"""
import sqlalchemy as sa
from alembic import op

import hostsim.db.base
import hostsim.db.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gateways',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('currencies', sa.String(length=255), nullable=False),
    sa.Column('activated_at', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_gateways'))
    )
    op.create_table('gateway_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('setting', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('encrypted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['gateway'], ['gateways.name'], name=op.f('fk_gateway_settings_gateway_gateways'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_settings')),
    sa.UniqueConstraint('gateway', 'setting', name=op.f('uq_gateway_settings_gateway_setting'))
    )
    with op.batch_alter_table('gateway_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_settings_gateway'), ['gateway'], unique=False)
    op.create_table('gateway_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('transaction_id', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_log'))
    )
    with op.batch_alter_table('gateway_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_gateway_log_gateway'), ['gateway'], unique=False)
        batch_op.create_index(batch_op.f('ix_gateway_log_invoice_id'), ['invoice_id'], unique=False)
    op.create_table('credit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('created_at', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.Column('amount', hostsim.db.types.ExactDecimal(20, 4), nullable=False),
    sa.Column('balance', hostsim.db.types.ExactDecimal(20, 4), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_credit_log_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_log'))
    )
    with op.batch_alter_table('credit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_log_client_id'), ['client_id'], unique=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txn_key', sa.String(length=255), nullable=True))
    # Payments recorded before keep their transaction ids; of any duplicates, the first keeps
    # the key. The derived table lets MariaDB read the table it updates.
    op.execute(sa.text(
        "UPDATE payments SET txn_key = transaction_id WHERE transaction_id <> '' AND id IN "
        "(SELECT first_id FROM (SELECT MIN(id) AS first_id FROM payments "
        "WHERE transaction_id <> '' GROUP BY gateway, transaction_id) AS firsts)"))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_payments_gateway_txn_key'), ['gateway', 'txn_key'])


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payments_gateway_txn_key'), type_='unique')
        batch_op.drop_column('txn_key')
    op.drop_table('credit_log')
    op.drop_table('gateway_log')
    op.drop_table('gateway_settings')
    op.drop_table('gateways')
