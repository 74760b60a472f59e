"""The seed pool on a second machine: the same regrouping of nine seeds, the seed budget and the stricter levels.

The seed pool (``report/seed_pool.md``), the seed budget (``report/seed_budget.md``) and the strictness study
(``report/strictness.md``) were measured on one machine (an Intel Xeon training in bf16) and predate the pool's
record of "best of K" comparisons, so C7, C9 and S2, the claims that differ most between seed sets, were never
projected. The AMD EPYC here (AVX2, fp32 under ``auto``) has trained seeds 0-8 of every report run (its three
kept reports, ``report/stability/amd-epyc-avx2-seeds-*``), so its pool can be re-run warm at one commit with the
comparisons kept: twelve triples, nine windows of four and all nine seeds (no extra seeds: no five-seed windows).

    python -m colorlib.seedpool run OUT --size 3   # then --size 9 and --size 4, from a clone whose run cache holds
                                                   # seeds 0-8 (minutes per set)
    python -m colorlib.seedpool collect OUT --extra --to report/seed_pool_amd-epyc-avx2.json
    python -m colorlib.poolreplica                 # report/seed_pool_amd-epyc-avx2.md

Fixed before any of the warm runs' verdicts was read (2026-12-07; the runs were under way, none collected):
1. Determinism: the warm re-runs of 0-1-2, 3-4-5 and 6-7-8 at this commit give the kept cold reports' verdict on
   every claim except possibly S8 (notebook 13 now pairs S8's seeds, ad6970a), and every part's interval other
   than S8's equal to the kept one (relative difference at most 1e-6).
2. Between 0 and 4 of the 12 pairs of disjoint triples agree on every verdict, with between 1 and 3 claims
   differing per pair on average (the kept AVX2 triples: 0 of 3 pairs, 2.0 per pair; the Xeon pool: 2 of 12, 1.33).
3. No claim is reproduced in one report and not reproduced in another of the same size, in any pair of triples
   or of windows of four.
4. The nine-seed report turns no verdict of the kept AVX2 seeds 0-1-2 report into its opposite, and none of the
   Xeon pool's nine-seed report either.
5. Seed budget (``seedbudget.project`` on this pool, the kept seeds 0-1-2 report's tests): all projected claims
   at once do not reach agreement 0.95 within 100 seeds, and at least one of C7, C9, S2 (now projected) does not
   reach it by 9 seeds.
6. Strictness (``strictness.study`` on this pool): no level would do, by the study's own criteria.
Each is checked by code on the generated page; none of the rule's thresholds or the committed verdicts change.
"""
from __future__ import annotations
