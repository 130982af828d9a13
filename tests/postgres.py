"""A throwaway PostgreSQL server for the tests and the storage bench: Debian's initdb and pg_ctl on
a temporary folder and a free port on 127.0.0.1, run as `nobody` when we are root (initdb refuses
root); one per session, an empty database per test, all removed at the end."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER, PASSWORD = "stylebot", "test-only-secret"


def bindir() -> Path | None:
    """Where initdb and pg_ctl are (Debian: /usr/lib/postgresql/<version>/bin), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """initdb + pg_ctl start; `url()` names a database on it, `stop()` removes everything."""

    def __init__(self, bin_dir: Path, durable: bool = False) -> None:
        """`durable`: fsync each commit as a production server does (the bench); the tests
        skip it, as nothing here must survive a power cut."""
        self.bin, self.durable = bin_dir, durable
        self.dir = Path(tempfile.mkdtemp(prefix="stylebot-pg-"))
        self.port = free_port()
        self._names = itertools.count()
        self._template = False
        self._as = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> Cluster:
        (self.dir / "pw").write_text(PASSWORD)
        if self._as:
            shutil.chown(self.dir, "nobody")
            shutil.chown(self.dir / "pw", "nobody")
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", USER,
                  f"--pwfile={self.dir / 'pw'}", "--auth=scram-sha-256", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200")
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                  str(self.dir / "log"), "-w", "-o", options, "start")
        return self

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, migrated: bool = True) -> str:
        """A new database, empty or (`migrated`) a copy of one the store has migrated once
        this session (a copy is cheaper than running the migrations); returns its URL."""
        name = f"test_{next(self._names)}"
        if migrated and not self._template:
            from storage import Store

            self._admin("create database migrated")
            Store(self.url("migrated"), self.dir / "files").close()
            self._template = True
        self._admin(f"create database {name}"
                    + (" template migrated strategy file_copy" if migrated else ""))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop it, closing the connections still open on it (other threads' included)."""
        self._admin(f"drop database {url.rsplit('/', 1)[1]} with (force)")

    def stop(self) -> None:
        subprocess.run([*self._as, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"),
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
