"""Quality and cost of near-duplicate detection on the labelled set (``tests/dedupe_cases.py``).

    .venv/bin/python bench/dedupe_quality.py [--near N] [--update U] [--number-weight W]
                                             [--repeat 200]

Each pair runs story_text → signature → band_keys → similarity → decide, the first item stored
(a candidate when the two share a band key, as the PostgreSQL band table would find it) and the
second new. Prints:
  * precision and recall of "linked" (NEAR_DUPLICATE or NEW_VERSION) overall, and the share of
    exactly right verdicts;
  * per kind: pairs, right verdicts, linked, LSH candidates, estimated Jaccard min/median/max;
  * cost per item in µs of story_text + signature + band_keys (median of --repeat runs over the
    set's items), and of one similarity() check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import shared.matching.minhash  # noqa: E402
from shared.matching.minhash import band_keys, signature, similarity, story_text  # noqa: E402
from shared.matching.verdict import Decision, Thresholds  # noqa: E402
from tests.dedupe_cases import CASES, LINKED, LINKED_KINDS, Case, copy_signature, run  # noqa: E402


def quality(thresholds: Thresholds) -> None:
    rows: dict[str, list[tuple[Case, Decision, float, bool]]] = defaultdict(list)
    for case in CASES:
        rows[case.kind].append((case, *run(case, thresholds)))
    every = [r for kind in rows.values() for r in kind]
    tp = sum(r[1].verdict in LINKED and r[0].expected in LINKED for r in every)
    fp = sum(r[1].verdict in LINKED and r[0].expected not in LINKED for r in every)
    fn = sum(r[1].verdict not in LINKED and r[0].expected in LINKED for r in every)
    right = sum(r[1].verdict == r[0].expected for r in every)
    print(
        f"thresholds: near_duplicate {thresholds.near_duplicate}, "
        f"same_story_update {thresholds.same_story_update}; {len(every)} pairs"
    )
    print(
        f"linked: precision {tp / max(tp + fp, 1):.3f}  recall {tp / max(tp + fn, 1):.3f}  "
        f"(tp {tp}, fp {fp}, fn {fn}); exact verdicts {right}/{len(every)}"
    )
    print(
        f"\n{'kind':<12}{'pairs':>6}{'right':>7}{'linked':>8}{'LSH':>5}"
        f"{'J min':>8}{'median':>8}{'max':>7}   misses"
    )
    for kind, kind_rows in rows.items():
        sims = [r[2] for r in kind_rows]
        misses = [r[0].name for r in kind_rows if r[1].verdict != r[0].expected]
        right = sum(r[1].verdict == r[0].expected for r in kind_rows)
        linked = sum(r[1].verdict in LINKED for r in kind_rows)
        print(
            f"{kind:<12}{len(kind_rows):>6}{right:>7}{linked:>8}{sum(r[3] for r in kind_rows):>5}"
            f"{min(sims):>8.3f}{statistics.median(sims):>8.3f}{max(sims):>7.3f}   "
            f"{' '.join(misses)}"
        )
    positives = [k for k in LINKED_KINDS if k in rows]
    print(f"\nlinked kinds: {', '.join(positives)}")


def cost(repeat: int) -> None:
    copies = [c for case in CASES for c in (case.stored, case.new)]
    words = statistics.mean(len((c.body or "").split()) for c in copies)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for c in copies:
            band_keys(signature(story_text(c.body, c.headline, c.dateline)))
        timings.append((time.perf_counter() - start) / len(copies))
    vocabulary = [a + b + c for a in "bdklmnprst" for b in "aeiou" for c in ("n", "ra", "sk")]
    long_story = " ".join(  # 500 words from 150, one in 20 a figure
        str(1900 + i) if i % 20 == 0 else vocabulary[(i * 7919) % len(vocabulary)]
        for i in range(500)
    )
    start = time.perf_counter()
    for _ in range(repeat):
        band_keys(signature(story_text(long_story, None, None)))
    long_cost = (time.perf_counter() - start) / repeat
    a, b = copy_signature(CASES[0].stored), copy_signature(CASES[0].new)
    start = time.perf_counter()
    for _ in range(10_000):
        similarity(a, b)
    check = (time.perf_counter() - start) / 10_000
    print(
        f"\ncost per item ({len(copies)} items, {words:.0f} words on average, "
        f"median of {repeat} runs): story_text + signature + band_keys "
        f"{statistics.median(timings) * 1e6:.0f} µs (a 500-word item: {long_cost * 1e6:.0f} µs); "
        f"one similarity check {check * 1e6:.1f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--near", type=float, default=Thresholds().near_duplicate)
    parser.add_argument("--update", type=float, default=Thresholds().same_story_update)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--number-weight",
        type=int,
        default=shared.matching.minhash.NUMBER_WEIGHT,
        help="weight of shingles holding a figure (1 = plain word 3-shingles)",
    )
    args = parser.parse_args()
    shared.matching.minhash.NUMBER_WEIGHT = args.number_weight
    print(f"number weight {args.number_weight}; ", end="")
    quality(Thresholds(near_duplicate=args.near, same_story_update=args.update))
    cost(args.repeat)


if __name__ == "__main__":
    main()
