"""`dateline demo`'s output and the credentials it keeps (the pushes are in tests/e2e)."""

from __future__ import annotations

import stat
from pathlib import Path

from services.cli import demo

EN = {
    "headline": "Grodno Oblast to build 14 new rural health centres this year",
    "dateline": {
        "located": "Grodno",
        "date": "2022-02-09",
        "source": "BelTA",
        "text": "GRODNO, 9 February (BelTA)",
    },
    "versioncreated": "2022-02-09T08:40:00Z",
}


def test_the_table_shows_headline_dateline_utc_time_and_verdict() -> None:
    long = {**EN, "headline": "A" * 80, "dateline": {"located": "Minsk", "source": "BelTA"}}
    lines = demo.table([(EN, "new"), (long, "duplicate"), ({"headline": None}, "new")]).splitlines()
    assert lines[0].split() == ["headline", "dateline", "UTC", "time", "verdict"]
    assert lines[1].split("  ")[0] == EN["headline"]
    assert "GRODNO, 9 February (BelTA)" in lines[1] and lines[1].endswith("new")
    assert "2022-02-09T08:40:00Z" in lines[1]
    assert ("A" * (demo.HEADLINE_WIDTH - 1) + "…") in lines[2]
    assert "Minsk (BelTA)" in lines[2] and lines[2].endswith("duplicate")
    assert lines[3].strip() == "new"
    # the columns line up
    assert lines[1].index("GRODNO") == lines[2].index("Minsk") == lines[0].index("dateline")


def test_credentials_are_kept_for_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / demo.CREDENTIALS_FILE
    demo._save(path, {"partner": demo.DEMO_PARTNER, "key": "dlk_x", "token": "dlt_y"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo._load(path) == {"partner": demo.DEMO_PARTNER, "key": "dlk_x", "token": "dlt_y"}
    assert [p.name for p in path.parent.iterdir()] == [demo.CREDENTIALS_FILE]


def test_unreadable_credentials_count_as_none(tmp_path: Path) -> None:
    assert demo._load(tmp_path / "missing.json") == {}
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert demo._load(broken) == {}
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    assert demo._load(listed) == {}
