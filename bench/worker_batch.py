"""The worker's cost per submission, alone and in batches, in one process (no HTTP, no Celery).

    .venv/bin/python bench/worker_batch.py [--items 800] [--batches 1,4,16]

Starts embedded PostgreSQL in a temporary folder, accepts distinct ~4 KB ninjs stories and
runs the worker's pipeline (claim, parse, normalise, versions, dedupe, search vector, verdicts)
over them once per batch size, on an emptied database each time; each submission is stored as
the API stores a push, with its parse kept (shared/reading/kept.py). Prints, per batch size,
the wall and CPU milliseconds per submission, the statements sent per submission, and the ratio
of each to batch size 1 measured in the same run (this machine is shared: compare ratios); then
the largest batch once more without the kept parse, as after a replay.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.worker import pipeline  # noqa: E402
from shared.core.embedded import EmbeddedPostgres  # noqa: E402
from shared.core.settings import Settings  # noqa: E402
from shared.db import credentials, submissions  # noqa: E402
from shared.db.engine import make_engine, migrate  # noqa: E402
from shared.reading.kept import keep  # noqa: E402
from shared.reading.prepare import prepare  # noqa: E402

WORDS = [
    "minister", "council", "budget", "railway", "harbour", "election", "court", "river", "storm",
    "market", "bank", "strike", "school", "hospital", "bridge", "festival", "police", "treaty",
    "summit", "farmers", "energy", "prices", "museum", "league", "parliament", "airport",
    "factory", "drought", "exports", "vaccine", "coalition", "mayor", "protest", "satellite",
]  # fmt: skip


def story(rng: random.Random, n: int) -> bytes:
    paragraphs = [
        " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(9)
    ]
    return json.dumps(
        {
            "uri": f"urn:bench:worker:{n}",
            "version": "1",
            "headline": " ".join(rng.choice(WORDS) for _ in range(8)).capitalize(),
            "body_text": "\n\n".join(paragraphs),
            "language": "en",
            "type": "text",
            "versioncreated": "2024-05-02T09:00:00Z",
        }
    ).encode()


def run(engine, bodies: list[bytes], batch: int, kept: bool = True) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE deliveries, subscriptions, lsh_buckets, submission_items, "
                "item_versions, items, submissions, credentials, partners CASCADE"
            )
        )
        partner, _ = credentials.create_partner(conn, slug="bench")
    ids = []
    for body in bodies:
        received_at = datetime.now(UTC)
        prepared = (
            keep(prepare(body, "application/json", namespace="bench", profile=partner.profile,
                         received_at=received_at))
            if kept
            else None
        )  # fmt: skip
        with engine.begin() as conn:  # as the API stores a push, with its parse kept
            ids.append(
                submissions.accept(
                    conn, partner_id=partner.id, raw=body, content_type="application/json",
                    idempotency_key=None, request_id=None, received_at=received_at,
                    prepared=prepared,
                ).id
            )  # fmt: skip
    settings = Settings(worker_batch=batch)
    sent = [0]

    def count(*_: object) -> None:
        sent[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    wall, cpu = time.perf_counter(), time.process_time()
    for submission_id in ids:
        pipeline.process_submission(engine, settings, submission_id)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    event.remove(engine, "before_cursor_execute", count)
    with engine.begin() as conn:
        done = conn.execute(
            text("SELECT count(*) FROM submissions WHERE status = 'done'")
        ).scalar_one()
    assert done == len(ids), f"only {done} of {len(ids)} done"
    n = len(ids)
    return wall / n * 1000, cpu / n * 1000, sent[0] / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=800)
    parser.add_argument("--batches", default="1,4,16")
    args = parser.parse_args()
    rng = random.Random(3)
    bodies = [story(rng, n) for n in range(args.items)]
    with tempfile.TemporaryDirectory(prefix="dateline-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp))
        url = pg.start()
        try:
            engine = make_engine(url, pool_size=2)
            migrate(engine)
            run(engine, bodies[:50], 1)  # warm up: caches, prepared statements
            base = None
            print(f"{'batch':>5} {'wall ms':>8} {'cpu ms':>7} {'statements':>10}  (per submission)")
            for batch in (int(b) for b in args.batches.split(",")):
                wall, cpu, statements = run(engine, bodies, batch)
                base = base or (wall, cpu, statements)
                print(
                    f"{batch:>5} {wall:>8.2f} {cpu:>7.2f} {statements:>10.1f}  "
                    f"ratio to batch {args.batches.split(',')[0]}: wall {wall / base[0]:.2f}, "
                    f"cpu {cpu / base[1]:.2f}, statements {statements / base[2]:.2f}"
                )
            last = int(args.batches.split(",")[-1])
            wall, cpu, statements = run(engine, bodies, last, kept=False)
            print(
                f"{last:>5} {wall:>8.2f} {cpu:>7.2f} {statements:>10.1f}  "
                "without the API's kept parse (as after a replay: the worker parses)"
            )
            engine.dispose()
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
