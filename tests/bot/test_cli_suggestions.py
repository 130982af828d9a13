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
    # 0350's dress gets a colour change (0005's too before the compatibility model was refitted
    # on the learned colour families; its colours are usual together now)
    assert result["recolours_checked"] >= 1 and result["kinds"]["recolour"] >= 1
    assert 0 <= result["confirmed_share"] <= 1
    assert result["suggest_ms_p95"] < 1000  # loose: the CPUs are shared
    assert len(list(tmp_path.glob("*.jpg"))) == result["recolours_checked"]
