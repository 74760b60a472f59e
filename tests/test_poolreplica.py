"""The seed pool on a second machine: the warm-against-cold check, reversals, the predictions and the page."""
import json
import math

import pytest

from colorlib import poolreplica, seedpool


def _snap(intervals: dict[str, dict[str, float] | None], verdict: str = "reproduced") -> dict:
    """A snapshot with one part per claim (claim id -> its interval, or None for a part without one)."""
    return {"claims": {cid: {"verdict": verdict, "parts": [{"name": "a", "verdict": verdict,
                                                            **({"interval": iv} if iv else {})}]}
                       for cid, iv in intervals.items()}}


def test_interval_gap_is_relative_skips_the_claims_changed_on_purpose_and_flags_missing_parts():
    iv = {"estimate": 1.0, "low": 0.5, "high": math.inf}
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": dict(iv)})) == 0.0
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": {**iv, "low": 0.5 * (1 + 1e-3)}})) \
        == pytest.approx(1e-3 / (1 + 1e-3))
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": {**iv, "high": 2.0}})) == math.inf
    moved = {"estimate": 9.0, "low": 8.0, "high": 10.0}
    assert poolreplica.interval_gap(_snap({"C1": iv, "S8": iv}), _snap({"C1": iv, "S8": moved})) == 0.0
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": None})) == math.inf
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": iv, "C2": iv})) == math.inf


def test_reversed_between_names_only_reproduced_against_not_reproduced():
    a = {"C1": "reproduced", "C2": "inconclusive", "C3": "not reproduced", "C4": "partly"}
    b = {"C1": "not reproduced", "C2": "reproduced", "C3": "not reproduced", "C4": "not reproduced"}
    assert poolreplica.reversed_between(a, b) == ["C1"]
    assert poolreplica.reversed_between(a, {}) == []
