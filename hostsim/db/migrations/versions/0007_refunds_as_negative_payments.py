"""refunds: negative payments linked to the payment they return

``payments.refund_of_id`` points a refund at the payment it returns (its amount is negative, so
balances and income need nothing else); ``refund_method`` says how the money went back
("gateway", "manual", "credit"; empty for a payment), ``reason`` why. ``request_key`` is the
refund form's one-time key, UNIQUE, so a double submit records one refund; a gateway's refund
transaction id is recorded once by the existing UNIQUE (gateway, txn_key).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('refund_method', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reason', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_refund_of_id'), ['refund_of_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_payments_request_key'), ['request_key'])
        batch_op.create_foreign_key(batch_op.f('fk_payments_refund_of_id_payments'), 'payments',
                                    ['refund_of_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payments_refund_of_id_payments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_payments_request_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_payments_refund_of_id'))
        batch_op.drop_column('request_key')
        batch_op.drop_column('reason')
        batch_op.drop_column('refund_method')
        batch_op.drop_column('refund_of_id')
