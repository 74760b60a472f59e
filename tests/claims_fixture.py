"""A recorded claim entry for tests of colorlib.claims and colorlib.agreement: one part, a given verdict. Import it
into a test module: ``from claims_fixture import claim_entry``."""
from __future__ import annotations

from colorlib import claims


def claim_entry(verdict: str, text: str = "") -> dict:
    """A claim entry as a notebook records it, with ``verdict`` (its one part's interval is not what decides it)."""
    iv = claims.Interval(1.0, 0.5, 1.5, 3)
    part = claims.part("x", iv, ">" if verdict == "reproduced" else "<")
    return {**claims.claim([part], "PSNR 1 | 2", text), "verdict": verdict}
