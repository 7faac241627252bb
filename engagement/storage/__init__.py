"""Async SQLAlchemy 1.4 storage: tables, database handle, repositories, migrations."""
