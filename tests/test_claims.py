"""colorlib.claims: the one verdict rule, its one wording, the paired test, and the claims table."""
from __future__ import annotations

import numpy as np
import pytest

from colorlib import claims


def test_paired():
    a = np.arange(10.0) + 1.0
    res = claims.paired(a, a - 0.5)
    assert res["share_a_greater"] == 1.0 and res["p_a_greater"] < 0.01 and res["mean_diff"] == pytest.approx(0.5)
    assert claims.paired(a - 0.5, a)["p_a_greater"] > 0.99
    assert np.isnan(claims.paired(a, a)["p_a_greater"])
    with pytest.raises(ValueError, match="equal-length"):
        claims.paired(a, a[:3])


def test_verdict_all_some_none():
    assert claims.verdict([True, True]) is True
    assert claims.verdict({"a": True, "b": False}) is None
    assert claims.verdict([False, np.bool_(False)]) is False
    assert claims.verdict([np.bool_(True)]) is True
    with pytest.raises(ValueError, match="at least one"):
        claims.verdict([])


def test_one_wording_everywhere():
    assert [claims.wording(v) for v in (True, None, False)] == ["reproduced", "partly", "not reproduced"]
    assert claims.wording(False, markdown=True) == "**not reproduced**"
    with pytest.raises(TypeError):
        claims.claim("yes", "measured")
    assert claims.claim(np.bool_(True), "m", "t", x=1) == {"reproduced": True, "measured": "m", "text": "t",
                                                          "numbers": {"x": 1}}


def test_mean_ranks_follow_each_metric_direction():
    rows = {"a": {"psnr": 20.0, "de": 9.0, "lpips": None}, "b": {"psnr": 22.0, "de": 12.0, "lpips": 0.2},
            "c": {"psnr": 21.0, "de": 10.0, "lpips": 0.1}}
    assert claims.mean_ranks(rows, {"psnr": "max"}) == {"b": 0.0, "c": 1.0, "a": 2.0}
    assert claims.mean_ranks(rows, {"de": "min"}) == {"a": 0.0, "c": 1.0, "b": 2.0}
    # ties keep the rows' order; a missing value counts as 0
    assert claims.mean_ranks(rows, {"lpips": "min"})["a"] == 0.0
    assert claims.mean_ranks(rows, {"psnr": "max", "de": "min"}) == {"a": 1.0, "b": 1.0, "c": 1.0}


def test_claims_table_says_what_was_not_measured(tmp_path, monkeypatch):
    from colorlib import results

    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path))
    results.save("02", {"profile": "smoke", "claims": {"C1": claims.claim(None, "PSNR 1 | 2")}})
    results.save("05", {"profile": "smoke", "claims": {}})
    results.save("08", {"profile": "smoke", "claims": {"S3": claims.claim(False, "x", text="dull in, dull out")}})
    text = (claims.write_claims("smoke")).read_text()
    assert "| C1: The UNet alone colourises" in text and "| 02 | smoke | partly | PSNR 1 \\| 2 |" in text
    assert "| C2:" in text and "| 03 | - | not measured | notebook 03 has not run |" in text
    assert "| 05 | smoke | not measured | notebook 05 recorded no verdict |" in text
    assert "## Further studies" in text and "| S3: dull in, dull out | 08 | smoke | **not reproduced** | x |" in text
