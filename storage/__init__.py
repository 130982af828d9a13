"""Storage: SQLite through sqlite-utils (or PostgreSQL, storage.postgres), schema migrations and
user-scoped queries."""

from storage.db import StorageError, Store

__all__ = ["StorageError", "Store"]
