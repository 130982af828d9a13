"""`stylebot eval suggestions`: suggestions applied to real photos and re-parsed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLE, run_cli


def test_eval_suggestions_recolours_reparses_and_saves_pictures(tmp_path: Path) -> None:
    done = run_cli("eval", "suggestions", "--data", str(SAMPLE), "--limit", "4",
                   "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["photos"] == 4 and sum(result["kinds"].values()) == 4
    assert result["recolours_checked"] >= 2  # 0005 and 0350 get a colour change
    assert 0 <= result["confirmed_share"] <= 1
    assert result["suggest_ms_p95"] < 1000  # loose: the CPUs are shared
    assert len(list(tmp_path.glob("*.jpg"))) == result["recolours_checked"]
