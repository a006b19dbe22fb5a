"""Which declared charsets Dateline decodes: real text encodings only."""

from __future__ import annotations

import codecs
import re

from shared.errors import UnsupportedMediaType

# Codecs that decode bytes to ordinary text; escape codecs, utf-7, idna and the like are refused.
_TEXT_CODECS = re.compile(
    r"^(utf-8(-sig)?|utf-16(-[lb]e)?|utf-32(-[lb]e)?|ascii|latin-1|iso8859-\d+|cp\d+|koi8-[a-z]+|"
    r"mac-[a-z]+|gb2312|gbk|gb18030|big5|big5hkscs|euc[-_a-z]+|shift_jis|iso2022_[a-z_]+|tis-620)$"
)


def text_charset(name: str) -> str:
    """The codec for a declared charset; 415 for one we do not read as text."""
    try:
        codec = codecs.lookup(name).name
    except LookupError as exc:
        raise UnsupportedMediaType(f"unknown charset {name!r}") from exc
    if not _TEXT_CODECS.match(codec):
        raise UnsupportedMediaType(f"charset {name!r} is not a text encoding we accept")
    return codec
