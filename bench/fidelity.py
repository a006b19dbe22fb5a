"""Field fidelity on our agency-shaped corpus: per format, the share of expected values right.

    .venv/bin/python bench/fidelity.py [-v]

The corpus (tests/fixtures/agency, described in tests/agency_corpus.py) is our own copy written
in the shapes that real agencies send: mislabelled encodings, API envelopes, multi-line 7901
headings, RBNews, loose NewsML-G2 and so on. Each expected field value, and each case's set of
warning codes, is one scored value; a refused document scores none of its values. ``-v`` lists
every mismatch.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.agency_corpus import cases, expected_values, score  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = parser.parse_args()
    # per format: values right, values expected, documents, documents refused
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for case in cases():
        right, wrong = score(case)
        row = totals[case.spec["format"]]
        row[0] += right
        row[1] += expected_values(case)
        row[2] += 1
        row[3] += int(bool(wrong) and wrong[0].startswith("refused"))
        if args.verbose:
            for line in (w for w in wrong if w):
                print(f"  {case.name}: {line}")
    print(f"{'format':<12} {'documents':>9} {'refused':>7} {'values':>7} {'right':>7} {'share':>7}")
    all_right = all_expected = 0
    for name in sorted(totals):
        right, expected, docs, refused = totals[name]
        all_right += right
        all_expected += expected
        share = right / expected
        print(f"{name:<12} {docs:>9} {refused:>7} {expected:>7} {right:>7} {share:>7.1%}")
    share = all_right / all_expected if all_expected else 0.0
    print(
        f"{'all':<12} {sum(t[2] for t in totals.values()):>9} "
        f"{sum(t[3] for t in totals.values()):>7} {all_expected:>7} {all_right:>7} {share:>7.1%}"
    )
    return 0 if all_right == all_expected else 1


if __name__ == "__main__":
    sys.exit(main())
