"""Full-text search: a language-aware, weighted tsvector (headline A, body B) per item."""

from __future__ import annotations

from sqlalchemy import ColumnElement, cast, func, literal, literal_column, or_
from sqlalchemy.dialects.postgresql import REGCONFIG

from shared.core.model import NormalisedItem
from shared.db.tables import items

# PostgreSQL's snowball configurations by language subtag; anything else is 'simple'
# (there is none for Belarusian or Ukrainian).
CONFIGS = {
    "ar": "arabic", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "fi": "finnish", "fr": "french", "hu": "hungarian", "it": "italian",
    "lt": "lithuanian", "nl": "dutch", "no": "norwegian", "nb": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish", "id": "indonesian",
}  # fmt: skip
QUERY_CONFIGS = ("english", "russian", "simple")


def config_for(language: str | None) -> str:
    return CONFIGS.get((language or "").split("-")[0].lower(), "simple")


def _regconfig(name: str) -> ColumnElement[object]:
    return cast(literal(name), REGCONFIG)


def document(item: NormalisedItem) -> ColumnElement[object]:
    """The SQL expression that builds an item's search vector."""
    config = _regconfig(config_for(item.language))
    weight_a: ColumnElement[str] = literal_column("'A'")  # setweight takes "char"
    weight_b: ColumnElement[str] = literal_column("'B'")
    return func.setweight(func.to_tsvector(config, item.headline or ""), weight_a).op("||")(
        func.setweight(func.to_tsvector(config, item.body_text or ""), weight_b)
    )


def matches(query: str, language: str | None) -> ColumnElement[bool]:
    """Items matching a web-search style query (quotes, OR, -word) in any likely language."""
    configs = {config_for(language), "simple"} if language else set(QUERY_CONFIGS)
    return or_(
        *(items.c.search.op("@@")(func.websearch_to_tsquery(_regconfig(c), query))
          for c in sorted(configs))
    )  # fmt: skip
