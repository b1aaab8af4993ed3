"""cache_generation: one number that moves on with every write to a cached table

Web processes keep the General Settings, addon settings, the active addons and similar between
requests and read this number once per request to know whether they are still current
(``hostsim.db.read_cache``). One row, starting at 0.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'cache_generation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade() -> None:
    op.drop_table('cache_generation')
