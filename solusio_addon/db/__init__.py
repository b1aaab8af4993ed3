"""The addon's own tables (prefix ``mod_solusio_``), migrated with their own Alembic history.

They survive deactivation: enrolments, prices and billing records are the hosting company's
books, not settings.
"""

from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version_solusio"
