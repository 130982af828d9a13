"""SQLite storage through sqlite-utils: schema migrations and user-scoped queries."""

from storage.db import StorageError, Store

__all__ = ["StorageError", "Store"]
