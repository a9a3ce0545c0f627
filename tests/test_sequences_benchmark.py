"""benchmarks/sequences.py runs end to end on tiny models and records each target as a check."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.slow
def test_dry_run_measures_every_target_and_writes_nothing(capsys):
    import sequences  # benchmarks/sequences.py

    before = sequences.RESULT.read_text() if sequences.RESULT.exists() else None
    result = sequences.main(["--dry-run"])
    measures = [c["measure"] for c in result["checks"]]
    assert measures == ["sentiment LSTM test accuracy (IMDB)", "char-LSTM validation bits per character",
                        "sunspots RNN test error (mean of 5 seeds)"]
    assert all({"value", "target", "met"} <= set(c) for c in result["checks"])
    assert 0.5 < result["sentiment"]["bag_of_words"]["test_accuracy"] <= 1
    assert result["sunspots"]["baseline_mae"] > 0 and result["lessons"] == {}
    assert (sequences.RESULT.read_text() if sequences.RESULT.exists() else None) == before
