"""email_log.status and cron_runs.status hold enum values: VARCHAR(16) -> VARCHAR(20)

The models now map both columns with ``str_enum`` (EmailStatus, CronRunStatus), a non-native
Enum: a VARCHAR(20) of the values, with no CHECK constraint and no database ENUM type. The stored
values are unchanged, so only the length moves, and every existing value fits both ways.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COLUMNS = (("email_log", "status"), ("cron_runs", "status"))


def _resize(old: int, new: int) -> None:
    for table, column in COLUMNS:
        # Batch mode: SQLite cannot alter a column type in place (the table is copied);
        # existing_nullable keeps NOT NULL on MariaDB, whose MODIFY restates the whole column.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=old), type_=sa.String(length=new),
                                  existing_nullable=False)


def upgrade() -> None:
    _resize(16, 20)


def downgrade() -> None:
    _resize(20, 16)
