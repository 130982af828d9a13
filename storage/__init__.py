"""SQLite storage through sqlite-utils: schema migrations and user-scoped queries."""

from storage.db import Store

__all__ = ["Store"]
