"""PostgreSQL behind the store's interface: the few sqlite-utils calls the store and the
migrations make (create, add_column, create_index, rows_where, insert, upsert, update, execute),
over one psycopg 3 connection in autocommit mode.

The store's SQL stays as it is written for SQLite; what differs is translated here, in one
place: `?` placeholders become `%s`, `[name]` quoting becomes `"name"`, Python column types
become PostgreSQL's (int: bigint, float: double precision, bytes: bytea, an integer `id` key an
identity column), an insert returns its id with RETURNING, an upsert is ON CONFLICT DO UPDATE,
and values sqlite-utils would turn into JSON text (dicts, lists) or integers (booleans) are
turned so here too. JSON columns stay text on both databases, so one schema serves both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

if TYPE_CHECKING:
    from storage.db import Health

Error = psycopg.Error
IntegrityError = psycopg.IntegrityError

SCHEMES = ("postgresql://", "postgres://")
TYPES = {str: "text", int: "bigint", float: "double precision", bytes: "bytea"}
PY_TYPES = {name: kind for kind, name in TYPES.items()}
#: SQLSTATE classes of a fault of the server or its disk rather than of the query: connection
#: (08), resources such as a full disk (53), shutdown (57P), system I/O (58), read-only (25006).
FAULT_STATES = ("08", "53", "57P", "58", "25006")
_CHANGES = ("INSERT", "UPDATE", "DELETE")


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def is_fault(err: BaseException) -> bool:
    """Whether `err` means the server could not take a write at all (unreachable, read-only,
    disk full), as SQLite's disk fault codes do."""
    if not isinstance(err, psycopg.Error):
        return False
    if err.sqlstate is None:  # raised by the client: the connection failed or was lost
        return isinstance(err, psycopg.OperationalError)
    return err.sqlstate.startswith(FAULT_STATES)


def reason(err: BaseException) -> str:
    """psycopg's message on one line (the server's spans several)."""
    return " ".join(str(err).split())


def translate(sql: str) -> str:
    """SQLite-flavoured SQL as the store writes it, for psycopg."""
    return re.sub(r"\[(\w+)\]", r'"\1"', sql.replace("%", "%%")).replace("?", "%s")


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value)
    return value


def _names(columns: Iterable[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def connect(url: str, health: Health) -> Database:
    # Keepalives: a server gone without closing the socket (a partition, a dead host) fails the
    # call within about a minute instead of holding a handler thread for good.
    conn = psycopg.connect(url, autocommit=True, connect_timeout=10,
                           application_name="stylebot", keepalives=1, keepalives_idle=30,
                           keepalives_interval=10, keepalives_count=3)
    return Database(conn, health)


class Database:
    """The sqlite-utils Database calls the store makes, on PostgreSQL. Tells the store's Health
    how each write ended, as storage.db's SQLite connection does."""

    def __init__(self, conn: psycopg.Connection, health: Health) -> None:
        self.conn, self.health = conn, health
        self._changed = False  # whether the open transaction changed rows
        self.pks: dict[str, list[str]] = {}  # primary key columns by table, read once

    def __getitem__(self, name: str) -> Table:
        return Table(self, name)

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != TransactionStatus.IDLE

    @property
    def usable(self) -> bool:
        return not (self.conn.closed or self.conn.broken)

    def execute(self, sql: str, params: Sequence[Any] = (), *,
                rows: bool = False) -> psycopg.Cursor:
        """Run one statement (`rows`: a cursor whose rows are dicts)."""
        cursor = self.conn.cursor(row_factory=dict_row) if rows else self.conn.cursor()
        try:
            cursor.execute(translate(sql), [_value(p) for p in params])
        except psycopg.Error as err:
            if is_fault(err):
                self.health.failed("database", err)
            raise
        self._count(cursor)
        return cursor

    def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(translate(sql), [[_value(v) for v in r] for r in rows])
                self._count(cursor)
        except psycopg.Error as err:
            if is_fault(err):
                self.health.failed("database", err)
            raise

    def _count(self, cursor: psycopg.Cursor) -> None:
        if (cursor.statusmessage or "").startswith(_CHANGES) and cursor.rowcount > 0:
            if self.in_transaction:
                self._changed = True
            else:
                self.health.succeeded("database")

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All or nothing; inside another transaction it joins that one."""
        if self.in_transaction:
            yield self
            return
        self._changed = False
        try:
            with self.conn.transaction():
                yield self
        except psycopg.Error as err:  # the COMMIT itself can fail too
            if is_fault(err):
                self.health.failed("database", err)
            raise
        if self._changed:
            self.health.succeeded("database")

    atomic = transaction  # as sqlite-utils' Migrations call it

    def table_names(self) -> list[str]:
        return [r[0] for r in self.execute(
            "select table_name from information_schema.tables "
            "where table_schema = current_schema() order by table_name")]

    def close(self) -> None:
        self.conn.close()


class Table:
    def __init__(self, db: Database, name: str) -> None:
        self.db, self.name, self.q = db, name, f'"{name}"'
        self.last_pk: Any = None

    # schema ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.name in self.db.table_names()

    def create(self, columns: dict[str, type], pk: str | tuple[str, ...],
               foreign_keys: Iterable[tuple[str, str, str]] = ()) -> Table:
        keys = [pk] if isinstance(pk, str) else list(pk)
        identity = keys == ["id"] and columns.get("id") is int  # SQLite's INTEGER PRIMARY KEY
        defs = [('"id" bigint generated by default as identity primary key'
                 if identity and name == "id" else f'"{name}" {TYPES[kind]}')
                for name, kind in columns.items()]
        if not identity:
            defs.append(f"primary key ({_names(keys)})")
        defs += [f'foreign key ("{col}") references "{other}" ("{other_col}")'
                 for col, other, other_col in foreign_keys]
        self.db.execute(f"create table {self.q} ({', '.join(defs)})")
        return self

    def add_column(self, name: str, kind: type) -> Table:
        self.db.execute(f'alter table {self.q} add column "{name}" {TYPES[kind]}')
        return self

    def create_index(self, columns: list[str], unique: bool = False) -> Table:
        index = f"idx_{self.name}_{'_'.join(columns)}"  # sqlite-utils' naming
        self.db.execute(f'create {"unique " if unique else ""}index "{index}" '
                        f"on {self.q} ({_names(columns)})")
        return self

    @property
    def pks(self) -> list[str]:
        if self.name not in self.db.pks:
            self.db.pks[self.name] = [r[0] for r in self.db.execute(
                """select a.attname from pg_index i join pg_attribute a
                   on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                   where i.indrelid = ?::regclass and i.indisprimary order by a.attnum""",
                [self.q])]
        return self.db.pks[self.name]

    @property
    def columns_dict(self) -> dict[str, type]:
        return {name: PY_TYPES[kind] for name, kind in self.db.execute(
            "select column_name, data_type from information_schema.columns where "
            "table_schema = current_schema() and table_name = ? order by ordinal_position",
            [self.name])}

    # rows --------------------------------------------------------------------------------
    def insert(self, row: dict[str, Any], pk: object = None, ignore: bool = False) -> Table:
        conflict = " on conflict do nothing" if ignore else ""
        cursor = self.db.execute(
            f"insert into {self.q} ({_names(row)}) values ({', '.join('?' * len(row))})"
            f"{conflict} returning *", list(row.values()), rows=True)
        inserted = cursor.fetchone()
        self.last_pk = inserted.get("id") if inserted else None
        return self

    def insert_all(self, rows: Iterable[dict[str, Any]]) -> Table:
        by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(row), []).append(list(row.values()))
        for columns, values in by_columns.items():
            self.db.executemany(f"insert into {self.q} ({_names(columns)}) "
                                f"values ({', '.join('?' * len(columns))})", values)
        return self

    def upsert(self, row: dict[str, Any], pk: str | tuple[str, ...]) -> Table:
        return self.upsert_all([row], pk)

    def upsert_all(self, rows: Iterable[dict[str, Any]], pk: str | tuple[str, ...]) -> Table:
        keys = [pk] if isinstance(pk, str) else list(pk)
        by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(row), []).append(list(row.values()))
        for columns, values in by_columns.items():
            updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in keys)
            self.db.executemany(
                f"insert into {self.q} ({_names(columns)}) values "
                f"({', '.join('?' * len(columns))}) on conflict ({_names(keys)}) "
                + (f"do update set {updates}" if updates else "do nothing"), values)
        return self

    def update(self, pk_value: Any, fields: dict[str, Any]) -> Table:
        if fields:
            [key] = self.pks
            sets = ", ".join(f'"{c}" = ?' for c in fields)
            self.db.execute(f'update {self.q} set {sets} where "{key}" = ?',
                            [*fields.values(), pk_value])
        return self

    def get(self, pk_value: Any) -> dict[str, Any]:
        [key] = self.pks
        rows = list(self.rows_where(f'"{key}" = ?', [pk_value]))
        if not rows:
            raise LookupError(f"{self.name} {pk_value!r}")
        return rows[0]

    def rows_where(self, where: str | None = None, where_args: Sequence[Any] = (),
                   order_by: str | None = None, limit: int | None = None,
                   select: str = "*") -> Iterator[dict[str, Any]]:
        sql = f"select {select} from {self.q}"
        if where:
            sql += f" where {where}"
        if order_by:
            sql += f" order by {order_by}"
        if limit is not None:
            sql += f" limit {int(limit)}"
        yield from self.db.execute(sql, list(where_args), rows=True)

    @property
    def rows(self) -> Iterator[dict[str, Any]]:
        return self.rows_where()

    @property
    def count(self) -> int:
        return self.db.execute(f"select count(*) from {self.q}").fetchone()[0]
