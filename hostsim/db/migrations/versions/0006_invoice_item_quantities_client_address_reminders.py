"""invoice item quantity, unit and unit price; client address; invoice reminders sent

``invoice_items.quantity``, ``unit`` and ``unit_price`` say, when a line has them, how many of
what at which price made its amount (a usage line: tokens at the token price); existing lines
have none. ``clients.address`` is the postal address printed under Invoiced To.
``invoice_reminders`` records each reminder stage sent for an invoice (the payment reminder
and the three overdue notices), UNIQUE per invoice and stage so that a stage is sent once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:10:00
"""
import sqlalchemy as sa
from alembic import op

import hostsim.db.base
import hostsim.db.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoice_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('unit', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('unit_price', hostsim.db.types.ExactDecimal(20, 4), nullable=True))
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=500), server_default='', nullable=False))
    op.create_table('invoice_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('created_at', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_reminders_invoice_id_invoices'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_reminders')),
    sa.UniqueConstraint('invoice_id', 'stage', name=op.f('uq_invoice_reminders_invoice_id_stage'))
    )
    with op.batch_alter_table('invoice_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_reminders_invoice_id'), ['invoice_id'], unique=False)


def downgrade() -> None:
    op.drop_table('invoice_reminders')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('address')
    with op.batch_alter_table('invoice_items', schema=None) as batch_op:
        batch_op.drop_column('unit_price')
        batch_op.drop_column('unit')
        batch_op.drop_column('quantity')
