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
