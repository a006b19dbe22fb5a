"""A parse kept with its submission, so the worker does not parse the bytes again.

The API parses and normalises every push before it answers (what is accepted can be
processed); that result is stored in the submission row beside the raw bytes
(``submissions.prepared``), and the worker reads it back instead of parsing again. A replay
reads the raw bytes again, and so does the worker for anything kept by code whose model had
another shape. The bytes are a pickle: only Dateline writes the column (what a partner sends
is never unpickled, only the objects our own parser made of it), and a tag naming the model's
shape comes first, so a parse kept by other code is never read as this code's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import pickle

from shared.core import model
from shared.core.model import NormalisedItem

logger = logging.getLogger(__name__)


def _shape() -> bytes:
    """8 bytes that change whenever a field of the kept model, or a pubstatus, does."""
    classes = (
        model.NormalisedItem, model.Dateline, model.Subject, model.Place, model.Rendition,
        model.Association,
    )  # fmt: skip
    described = [
        (cls.__name__, [(f.name, str(f.type)) for f in dataclasses.fields(cls)]) for cls in classes
    ]
    described.append(("PubStatus", [(s.name, s.value) for s in model.PubStatus]))
    return hashlib.blake2b(repr(described).encode(), digest_size=8).digest()


SHAPE = _shape()


def keep(items: list[NormalisedItem]) -> bytes:
    return SHAPE + pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)


def restore(kept: bytes | None) -> list[NormalisedItem] | None:
    """The kept items, or None (nothing kept, or kept by code of another shape): parse again."""
    if not kept or kept[: len(SHAPE)] != SHAPE:
        return None
    try:
        items = pickle.loads(kept[len(SHAPE) :])
    except Exception:  # a kept parse that cannot be read costs a parse, never the submission
        logger.warning("a kept parse could not be read; parsing the bytes again")
        return None
    if not isinstance(items, list) or not all(isinstance(i, NormalisedItem) for i in items):
        return None
    return items
