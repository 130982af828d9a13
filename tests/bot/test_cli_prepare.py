"""`stylebot prepare`: the bundled models exported once as the bot runs them (ONNX graphs)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import run_cli


def test_prepare_exports_every_bundled_graph_once(tmp_path: Path) -> None:
    env = {**os.environ, "STYLEBOT_COMPILED_DIR": str(tmp_path)}
    done = run_cli("prepare", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert str(tmp_path) in done.stdout
    graphs = {p.name: p.stat().st_size for p in tmp_path.glob("*.onnx")}
    names = sorted(name.rsplit("-", 1)[0] for name in graphs)
    assert names == ["kind-head", "lite0-pooled", "minilm", "parser", "projection",
                     "upsample-argmax"]
    assert graphs[next(n for n in graphs if n.startswith("parser-"))] > 5_000_000
    again = run_cli("prepare", env=env)
    assert again.returncode == 0 and "exporting" not in again.stderr
    assert {p.name: p.stat().st_size for p in tmp_path.glob("*.onnx")} == graphs
    assert not list(tmp_path.glob(".*.tmp"))


def test_graphs_in_a_read_only_place_are_used_and_a_missing_one_is_said_in_one_line(
        tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A container's image holds graphs its user cannot touch: they load (nothing pruned). A
    graph that is missing where nothing can be written stops the command with one line naming
    the folder and the setting, not a traceback."""
    from inference.core import onnx_models

    env = {**os.environ, "STYLEBOT_COMPILED_DIR": str(tmp_path / "graphs")}
    assert run_cli("prepare", env=env).returncode == 0

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setenv("STYLEBOT_COMPILED_DIR", str(tmp_path / "graphs"))
    monkeypatch.setattr(onnx_models.os, "utime", refuse)
    from inference.parsing.lite0 import Lite0Parser

    assert Lite0Parser().long_side == 512
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    env["STYLEBOT_COMPILED_DIR"] = str(blocked / "graphs")
    done = run_cli("prepare", env=env)
    assert done.returncode == 2, done.stderr[-2000:]
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("stylebot:")]
    assert str(blocked / "graphs") in line and "STYLEBOT_COMPILED_DIR" in line
    assert "Traceback" not in done.stderr
