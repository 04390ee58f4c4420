"""Data layer: typed SQLAlchemy 2 models, async engine/session, Alembic migrations."""
