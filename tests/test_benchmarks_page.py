"""The Benchmarks page: every target a result records is listed with its verdict."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import site_hooks  # noqa: E402  (tools/site_hooks.py)
import targets  # noqa: E402  (benchmarks/targets.py)


def test_check_records_value_target_and_verdict():
    assert targets.check("speed-up", 7.7, ">=", 8) == {
        "measure": "speed-up", "value": 7.7, "target": ">= 8", "met": False, "note": ""}
    assert targets.check("seconds", 13.1, "<=", 15)["met"] is True
    assert targets.check("lessons re-executed", 1, "==", 1)["met"] is True
    with pytest.raises(ValueError, match="op must be one of"):
        targets.check("x", 1, ">", 0)


def test_page_lists_each_target_with_its_verdict_then_every_measure(tmp_path):
    (tmp_path / "speed.json").write_text(json.dumps({
        "seconds": 2.125,
        "checks": [targets.check("speed-up", 7.65, ">=", 8, "fastest epochs: 8.6"),
                   targets.check("train | seconds", 13.1, "<=", 15)],
        "hardware": {"cores": 2}}))
    page = site_hooks._benchmark_tables(tmp_path)
    rows = page.splitlines()
    assert "| speed | speed-up (fastest epochs: 8.6) | 7.65 | ≥ 8 | **no** |" in rows
    assert "| speed | train \\| seconds | 13.1 | ≤ 15 | yes |" in rows  # a | cannot break the table
    assert "| seconds | 2.125 |" in rows and "| hardware.cores | 2 |" in rows
    assert not any(row.startswith("| checks") for row in rows), "checks appear once, in Targets"
    assert page.index("## Targets") < page.index("## `speed.json`")


def test_page_without_results_says_how_to_make_them(tmp_path):
    assert "make bench" in site_hooks._benchmark_tables(tmp_path)


def test_every_saved_result_records_its_targets():
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        checks = json.loads(path.read_text())["checks"]
        assert checks and all({"measure", "value", "target", "met"} <= set(c) for c in checks), path.name
