"""server-side web sessions and atomic login counters

``web_sessions``: one row per browser session; the cookie holds only a random id and the row is
keyed by its SHA-256, so a session ends for everyone holding the cookie the moment its row (or
its area's login columns) goes. ``login_counters``: one row per throttle key (area + account,
area + address) counting failures in a window with a conditional UPDATE, so the check and the
record are one atomic step on every backend.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import hostsim.db.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('created_at', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.Column('seen_at', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('admin_auth', sa.String(length=64), nullable=True),
    sa.Column('admin_login_at', hostsim.db.base.UTCDateTime(), nullable=True),
    sa.Column('admin_seen_at', hostsim.db.base.UTCDateTime(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('client_auth', sa.String(length=64), nullable=True),
    sa.Column('client_login_at', hostsim.db.base.UTCDateTime(), nullable=True),
    sa.Column('client_seen_at', hostsim.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_admin_id'), ['admin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_expires_at'), ['expires_at'], unique=False)

    op.create_table('login_counters',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', hostsim.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_counters'))
    )
    with op.batch_alter_table('login_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_counters_window_start'), ['window_start'], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes with it.
    op.drop_table('login_counters')
    op.drop_table('web_sessions')
