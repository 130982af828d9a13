"""`stylebot web` with storage it cannot write: one line on stderr naming the path and the
setting, exit code 2, no traceback (the command run in a fresh process, as a user runs it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import read_only_database, run_cli


def refused(tmp_path: Path, **storage: Path) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "STYLEBOT_STORAGE__DATABASE": str(tmp_path / "db.sqlite"),
           "STYLEBOT_STORAGE__FILES_DIR": str(tmp_path / "files")}
    env |= {f"STYLEBOT_STORAGE__{key.upper()}": str(path) for key, path in storage.items()}
    done = run_cli("web", "--port", "0", env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_a_database_path_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    bad = tmp_path / "a-file" / "db.sqlite"
    line = refused(tmp_path, database=bad)
    assert line.startswith("stylebot: cannot write") and str(bad) in line
    assert "storage.database" in line and "STYLEBOT_STORAGE__DATABASE" in line


def test_a_files_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    bad = tmp_path / "a-file" / "files"
    line = refused(tmp_path, files_dir=bad)
    assert str(bad) in line and "storage.files_dir" in line and "Not a directory" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="chmod cannot stop root writing")
def test_a_read_only_copy_of_the_database_is_one_line(tmp_path: Path) -> None:
    copy = read_only_database(tmp_path)
    line = refused(tmp_path, database=copy)
    assert str(copy) in line and "readonly" in line and "storage.database" in line
