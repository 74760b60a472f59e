"""What a stricter interval would buy instead of more seeds: the seed pool's verdicts re-judged at higher levels.

Issue 15 asks for identical verdicts under two disjoint seed sets, "where one would differ, the rule must make it
inconclusive rather than flip". With the rule's 95 % intervals two disjoint three-seed reports differ on about one
claim (``report/seed_pool.md``), and more seeds do not settle them within 100 (``report/seed_budget.md``). A wider
interval is the other lever: fewer claims decided, and perhaps the same ones in both reports. This module measures
that trade-off; it does not change the rule, and no committed verdict changes with it.

How: a part's interval is half-width^2 = (t(S-1) * sd / sqrt(S))^2 + u^2 (``claims._two_level``: seeds with t,
photos with z). The pool's per-seed effects are known exactly (``seedbudget.per_seed_effects``), so each seed set's
seed part and photo part u are too, and its interval at another level is the same two parts with that level's
quantiles. Re-judged by ``claims.test_interval`` and ``claims.combine`` (the one rule), the pool's 33 reports give
observed agreement of its disjoint pairs at each level; ``seedbudget.project`` at each level gives the projection.

Fixed before the first re-judgment (2026-12-07, committed before any number at another level was computed):
- ``LEVELS``: the rule's 0.95 and two stricter levels, 0.99 and 0.999.
- Observed at the pool's disjoint pairs of 3 and 5 seeds (``seedbudget.CHECKED``); projected over
  ``seedbudget.GRID``; the claims are the 15 whose parts all have an interval in the pool (as in seed_budget.md).
- A level "would do" when, at 3 seeds (the report's budget), all those claims agree (a) with projected probability
  >= ``seedbudget.AGREE`` (0.95) and (b) in at least ``OBSERVED_GOAL`` (11) of the pool's 12 disjoint pairs.
- Its price, printed beside it with no threshold: how many of those claims a 3-seed report decides on average
  (reproduced or not reproduced), at 0.95 and at that level, in the pool's reports.
- Self-check: at 0.95 the re-judgment must give every part of every pool report its recorded verdict, or nothing
  is reported.
- Prediction: 0.99 will not do ((a) fails); 0.999 may, but then 3-seed reports decide at most half as many of the
  claims as at 0.95.
"""
from __future__ import annotations

LEVELS = (0.95, 0.99, 0.999)  # the rule's interval level, then two stricter ones
OBSERVED_GOAL = 11  # of the pool's 12 disjoint pairs of three-seed reports that must agree on every claim
