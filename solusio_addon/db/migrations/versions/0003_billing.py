"""billed periods and usage lines (addon 1.2.0)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import hostsim.addon_api

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mod_solusio_billed_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('solusio_user_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Enum('invoiced', 'no_usage', name='periodoutcome', native_enum=False, length=20), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('token_price', hostsim.addon_api.ExactDecimal(20, 4), nullable=True),
    sa.Column('total_tokens', sa.Integer(), nullable=False),
    sa.Column('created_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('emailed_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_mod_solusio_billed_periods_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_mod_solusio_billed_periods_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_billed_periods')),
    sa.UniqueConstraint('client_id', 'period_start', name=op.f('uq_mod_solusio_billed_periods_client_id_period_start'))
    )
    with op.batch_alter_table('mod_solusio_billed_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_billed_periods_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('mod_solusio_usage_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('billed_period_id', sa.Integer(), nullable=False),
    sa.Column('invoice_item_id', sa.Integer(), nullable=True),
    sa.Column('resource_type', sa.String(length=20), nullable=False),
    sa.Column('server_id', sa.Integer(), nullable=False),
    sa.Column('server_name', sa.String(length=255), nullable=False),
    sa.Column('plan_name', sa.String(length=255), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('tokens', sa.Integer(), nullable=False),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('tokens_per_month', sa.Integer(), nullable=False),
    sa.Column('unit_price', hostsim.addon_api.ExactDecimal(20, 4), nullable=False),
    sa.Column('amount', hostsim.addon_api.ExactDecimal(20, 4), nullable=False),
    sa.ForeignKeyConstraint(['billed_period_id'], ['mod_solusio_billed_periods.id'], name=op.f('fk_mod_solusio_usage_lines_billed_period_id_mod_solusio_billed_periods'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_item_id'], ['invoice_items.id'], name=op.f('fk_mod_solusio_usage_lines_invoice_item_id_invoice_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_usage_lines'))
    )
    with op.batch_alter_table('mod_solusio_usage_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_usage_lines_billed_period_id'), ['billed_period_id'], unique=False)



def downgrade() -> None:
    op.drop_table('mod_solusio_usage_lines')
    op.drop_table('mod_solusio_billed_periods')
