"""signups awaiting email verification (addon 1.1.0)

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import hostsim.addon_api

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mod_solusio_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('password', sa.Text(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('request_ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('expires_at', hostsim.addon_api.UTCDateTime(), nullable=False),
    sa.Column('used_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.Column('superseded_at', hostsim.addon_api.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_mod_solusio_signups_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_solusio_signups')),
    sa.UniqueConstraint('nonce_hash', name=op.f('uq_mod_solusio_signups_nonce_hash'))
    )
    with op.batch_alter_table('mod_solusio_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mod_solusio_signups_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mod_solusio_signups_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_mod_solusio_signups_request_ip'), ['request_ip'], unique=False)



def downgrade() -> None:
    op.drop_table('mod_solusio_signups')
