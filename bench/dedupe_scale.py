"""Dedup cost per item as the store grows: 10k, 100k and 1M stored items.

    .venv/bin/python bench/dedupe_scale.py [--sizes 10000 100000 1000000] [--probes 300]

For each size, a fresh embedded PostgreSQL database is filled with synthetic items and their 32
LSH band keys each (loaded with COPY; signatures are random, so the band keys are spread as real
ones are), then ``--probes`` realistic new stories go through the worker's dedupe path
(sketch → candidates → claim buckets → decide) one transaction each, rolled back so the size
stays fixed. Prints the median and p90 cost per item and the ratio to the smallest size (the
goal: within 1.5× from 10k to 1M). Takes minutes for 1M; not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.core.embedded import EmbeddedPostgres  # noqa: E402
from shared.core.model import NormalisedItem  # noqa: E402
from shared.db import clusters  # noqa: E402
from shared.db.engine import make_engine, migrate  # noqa: E402
from shared.matching.minhash import BANDS, ROWS  # noqa: E402
from shared.matching.verdict import NewItem, Thresholds, decide  # noqa: E402

WORDS = [f"{a}{b}{c}" for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai")
         for c in ("n", "r", "s", "t", "l", "m", "")]  # fmt: skip


def story(rng: random.Random) -> str:
    return ". ".join(" ".join(rng.choice(WORDS) for _ in range(14)) for _ in range(25)) + "."


def band_keys_bulk(sigs: np.ndarray) -> np.ndarray:
    """The same keys as ``shared.matching.minhash.band_keys``, for many signatures at once."""
    out = np.empty((len(sigs), BANDS), dtype=np.int64)
    for i, sig in enumerate(sigs):
        raw = sig.tobytes()
        for band in range(BANDS):
            digest = hashlib.blake2b(
                band.to_bytes(4, "little") + raw[band * ROWS * 4 : (band + 1) * ROWS * 4],
                digest_size=8,
            ).digest()
            out[i, band] = int.from_bytes(digest, "big", signed=True)
    return out


def load(engine, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    sigs = np.random.default_rng(n).integers(0, 2**32, size=(n, 128), dtype=np.uint32)
    keys = band_keys_bulk(sigs)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("INSERT INTO partners (slug) VALUES ('bench') RETURNING id")
        partner = cur.fetchone()[0]
        with cur.copy(
            "COPY items (id, partner_id, uri, versioncreated, received_at, pubstatus, "
            "fingerprint, cluster, versions, doc, signature) FROM STDIN"
        ) as copy:
            for i in range(n):
                item_id = f"s{i:09d}"
                copy.write_row(
                    (
                        item_id,
                        partner,
                        f"urn:bench:{i}",
                        "2024-01-01T00:00:00Z",
                        "2024-01-01T00:00:00Z",
                        "usable",
                        f"{i:064x}",
                        item_id,
                        1,
                        '{"type": "text"}',
                        sigs[i].tobytes(),
                    )
                )
        seen: set[int] = set()
        with cur.copy("COPY lsh_buckets (bucket, item_id) FROM STDIN") as copy:
            for i in range(n):
                for key in keys[i]:
                    if int(key) not in seen:
                        seen.add(int(key))
                        copy.write_row((int(key), f"s{i:09d}"))
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def probe(engine, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    rng = random.Random(42)
    costs = []
    thresholds = Thresholds()
    for i in range(count):
        item = NormalisedItem(
            format="text",
            uri=f"urn:probe:{i}",
            version=None,
            type="text",
            pubstatus="usable",
            headline="Probe",
            slugline=None,
            byline=None,
            abstract=None,
            ednote=None,
            body_html=None,
            body_text=story(rng),
            word_count=0,
            language="en",
            dateline=None,
            firstcreated=None,
            versioncreated=None,
            embargoed=None,
            urgency=None,  # type: ignore[arg-type]
            priority=None,
            subjects=[],
            keywords=[],
            places=[],
            genre=None,
            source=None,
            copyrightholder=None,
            usageterms=None,
            renditions=[],
            associations=[],
            fingerprint=f"probe{i}",
        )
        with engine.connect() as conn:
            trans = conn.begin()
            started = time.perf_counter()
            found = clusters.sketch(item)
            before = clusters.candidates(conn, found, item)
            owners = clusters.claim_many(conn, [(found, f"p{i}")]).get(f"p{i}", [])
            cands = clusters.candidates(conn, found, item, also=owners)
            decide(NewItem(1, item.uri, False, item.fingerprint), before + cands, thresholds)
            costs.append(time.perf_counter() - started)
            trans.rollback()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        pg = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="dateline-scale-")))
        engine = make_engine(pg.start())
        try:
            migrate(engine)
            loaded = load(engine, n)
            probe(engine, 30)  # warm caches and the MinHash permutations
            costs = sorted(probe(engine, args.probes))
        finally:
            engine.dispose()
            pg.stop()
        median = statistics.median(costs) * 1000
        p90 = costs[int(len(costs) * 0.9)] * 1000
        rows.append((n, loaded, median, p90))
        print(f"loaded {n:,} items in {loaded:.0f} s; median {median:.2f} ms", flush=True)
    base = rows[0][2]
    print(f"{'stored items':>14}{'load s':>9}{'median ms':>11}{'p90 ms':>9}{'ratio':>8}")
    for n, loaded, median, p90 in rows:
        print(f"{n:>14,}{loaded:>9.0f}{median:>11.2f}{p90:>9.2f}{median / base:>8.2f}")


if __name__ == "__main__":
    main()
