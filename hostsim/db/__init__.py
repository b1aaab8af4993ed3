"""The host's data layer: SQLAlchemy 2.0 models, engine/session factory, Alembic migrations."""
