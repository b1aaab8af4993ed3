"""enrolment closure, who created the SolusIO user, the reconcile's drift and runs (addon 1.3.0)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import hostsim.addon_api

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mod_solusio_enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', hostsim.addon_api.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reopened_at', hostsim.addon_api.UTCDateTime(), nullable=True))
        # Enrolments made before 1.3.0 do not know: false, so their billing id is reported, not repaired.
        batch_op.add_column(sa.Column('user_created', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('mod_solusio_drift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('email', 'status', 'billing_user_id', 'limit_group', 'missing_user', 'foreign_billing_id', name='driftkind', native_enum=False, length=20), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('solusio_user_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('found_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_drift'))
    )
    with op.batch_alter_table('mod_solusio_drift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_drift_client_id'), ['client_id'], unique=False)
    op.create_table('mod_solusio_reconcile_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('started_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('finished_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('fix', sa.Boolean(), nullable=False),
    sa.Column('only_client', sa.Integer(), nullable=True),
    sa.Column('enrolments', sa.Integer(), nullable=False),
    sa.Column('users', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('repaired', sa.Integer(), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_reconcile_runs'))
    )
    with op.batch_alter_table('mod_solusio_reconcile_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_reconcile_runs_as_of'), ['as_of'], unique=False)


def downgrade() -> None:
    op.drop_table('mod_solusio_reconcile_runs')
    op.drop_table('mod_solusio_drift')
    with op.batch_alter_table('mod_solusio_enrolments', schema=None) as batch_op:
        batch_op.drop_column('user_created')
        batch_op.drop_column('reopened_at')
        batch_op.drop_column('closed_at')
