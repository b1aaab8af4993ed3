"""billing batches: a month's invoicing shared by worker processes (addon 1.5.0)

``mod_solusio_billing_batches`` holds the client ranges a ``--workers`` run planned for a month,
one generation per planning, UNIQUE (period_start, generation, first_client_id); a worker claims
one with ``FOR UPDATE SKIP LOCKED`` and records what it did when done.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

import hostsim.addon_api

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mod_solusio_billing_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('first_client_id', sa.Integer(), nullable=False),
    sa.Column('last_client_id', sa.Integer(), nullable=False),
    sa.Column('clients', sa.Integer(), nullable=False),
    sa.Column('planned_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('done_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.Column('done_by', sa.String(length=100), nullable=False),
    sa.Column('invoiced', sa.Integer(), nullable=False),
    sa.Column('no_usage', sa.Integer(), nullable=False),
    sa.Column('already_billed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('amounts', sa.Text(), nullable=False),
    sa.Column('failures', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_billing_batches')),
    sa.UniqueConstraint('period_start', 'generation', 'first_client_id', name='uq_mod_solusio_billing_batches_slot')
    )


def downgrade() -> None:
    op.drop_table('mod_solusio_billing_batches')
