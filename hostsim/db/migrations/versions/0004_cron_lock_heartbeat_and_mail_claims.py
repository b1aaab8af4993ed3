"""cron_locks.acquired_at and heartbeat_at; email_log.claimed_at

A cron lock now says since when its owner holds it and when the owner last renewed it (its
heartbeat), so a skipped run can name who holds the lock and ``cron unlock`` can tell a live
owner from a dead one. A message in the outbox records when a process claimed it for sending,
by wall clock, so a claim goes stale by real time and never because ``--today`` moved the host
clock. Messages already being sent when the upgrade runs are treated as claimed at that moment.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import hostsim.db.base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cron_locks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acquired_at', hostsim.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', hostsim.db.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('email_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', hostsim.db.base.UTCDateTime(), nullable=True))
    # A message mid-send during the upgrade: its claim goes stale STALE_CLAIM after now.
    email_log = sa.table('email_log', sa.column('status', sa.String(20)),
                         sa.column('claimed_at', hostsim.db.base.UTCDateTime()))
    op.execute(email_log.update().where(email_log.c.status == 'sending')
               .values(claimed_at=datetime.now(timezone.utc)))


def downgrade() -> None:
    with op.batch_alter_table('email_log', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
    with op.batch_alter_table('cron_locks', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('acquired_at')
