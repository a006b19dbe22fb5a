"""JSON shapes of the item contract (docs/api.md, Items): the stored document and the API item."""

from __future__ import annotations

import dataclasses
from typing import Any

from shared.core.model import Dateline, NormalisedItem, rfc3339

# The contract's field order; server-side fields are filled from the database.
ITEM_FIELDS = (
    "id", "uri", "version", "partner", "format", "type", "pubstatus",
    "headline", "slugline", "byline", "abstract", "ednote",
    "body_html", "body_text", "word_count", "language", "dateline",
    "firstcreated", "versioncreated", "embargoed", "received_at", "processed_at",
    "urgency", "priority", "subjects", "keywords", "places", "genre", "source",
    "copyrightholder", "usageterms", "renditions", "associations",
    "fingerprint", "duplicate_of", "cluster", "versions", "submission_id", "warnings",
)  # fmt: skip


def dateline_doc(dateline: Dateline | None) -> dict[str, Any] | None:
    if dateline is None:
        return None
    return {
        "located": dateline.located,
        "date": dateline.date.isoformat() if dateline.date else None,
        "source": dateline.source,
        "text": dateline.text,
    }


def item_doc(item: NormalisedItem) -> dict[str, Any]:
    """The stored document: every contract field that does not come from the server."""
    return {
        "uri": item.uri,
        "version": item.version,
        "format": item.format,
        "type": item.type,
        "pubstatus": item.pubstatus,
        "headline": item.headline,
        "slugline": item.slugline,
        "byline": item.byline,
        "abstract": item.abstract,
        "ednote": item.ednote,
        "body_html": item.body_html,
        "body_text": item.body_text,
        "word_count": item.word_count,
        "language": item.language,
        "dateline": dateline_doc(item.dateline),
        "firstcreated": rfc3339(item.firstcreated),
        "versioncreated": rfc3339(item.versioncreated),
        "embargoed": rfc3339(item.embargoed),
        "urgency": item.urgency,
        "priority": item.priority,
        "subjects": [dataclasses.asdict(s) for s in item.subjects],
        "keywords": list(item.keywords),
        "places": [dataclasses.asdict(p) for p in item.places],
        "genre": item.genre,
        "source": item.source,
        "copyrightholder": item.copyrightholder,
        "usageterms": item.usageterms,
        "renditions": [dataclasses.asdict(r) for r in item.renditions],
        "associations": [
            {
                **dataclasses.asdict(a),
                "renditions": [dataclasses.asdict(r) for r in a.renditions],
                "item_id": None,
            }
            for a in item.associations
        ],
        "fingerprint": item.fingerprint,
        "warnings": list(item.warnings),
    }


def contract_item(doc: dict[str, Any], server: dict[str, Any]) -> dict[str, Any]:
    """The API item: the stored document completed by server fields, in contract order."""
    merged = {"warnings": [], **doc, **server}
    return {name: merged.get(name) for name in ITEM_FIELDS}
