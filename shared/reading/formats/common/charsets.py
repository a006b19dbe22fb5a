"""Which charsets Dateline decodes (real text encodings only) and how 8-bit copy is read.

Agencies mislabel their bytes: a template hard-codes ``ISO-8859-1`` while the pipeline writes
UTF-8, a wire line sends Windows-1252 without saying so. ``read_text`` reads such bytes as they
are meant and records the repair (``charset_mislabelled``, ``charset_guessed``); only bytes that
fit neither their label nor UTF-8 are left for the caller to refuse.
"""

from __future__ import annotations

import codecs
import functools
import re

from shared.core.errors import UnsupportedMediaType
from shared.reading.repairs import warn

# Codecs that decode bytes to ordinary text; escape codecs, utf-7, idna and the like are refused.
_TEXT_CODECS = re.compile(
    r"^(utf-8(-sig)?|utf-16(-[lb]e)?|utf-32(-[lb]e)?|ascii|latin-1|iso8859-\d+|cp\d+|koi8-[a-z]+|"
    r"mac-[a-z]+|gb2312|gbk|gb18030|big5|big5hkscs|euc[-_a-z]+|shift_jis|iso2022_[a-z_]+|tis-620)$"
)
# Windows-1252 as the WHATWG Encoding Standard reads it, which is also how ISO-8859-1 labels are
# read: the five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay the latin-1
# control they are, so one stray byte never costs a story, and 0x80-0x9F are the typographic
# characters (’ “ ” – €) that Latin-1-labelled agency copy means by them.
_WINDOWS_1252 = {
    byte: bytes([byte]).decode("cp1252")
    for byte in range(0x80, 0xA0)
    if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
_AS_WINDOWS_1252 = ("cp1252", "iso8859-1")


def text_charset(name: str) -> str:
    """The codec for a declared charset; 415 for one we do not read as text."""
    try:
        codec = codecs.lookup(name).name
    except LookupError as exc:
        raise UnsupportedMediaType(f"unknown charset {name!r}") from exc
    if not _TEXT_CODECS.match(codec):
        raise UnsupportedMediaType(f"charset {name!r} is not a text encoding we accept")
    return codec


def text_codec(name: str) -> str | None:
    """The codec for a charset named inside a document (an e-mail part, an encoded word), or
    None when it is unknown or not a text encoding: never ``punycode`` or ``rot13``."""
    try:
        return text_charset(name)
    except (UnsupportedMediaType, ValueError):  # ValueError: a NUL in the name
        return None


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_multibyte_utf8(raw: bytes) -> bool:
    """Valid UTF-8 with at least one multi-byte sequence: real single-byte text (Latin-1,
    windows-1251…) with bytes over 0x7F is practically never that, so it decides the reading."""
    return not raw.isascii() and is_utf8(raw)


@functools.cache
def single_byte(codec: str) -> bool:
    """One byte, one character (Latin, Cyrillic…), where valid UTF-8 means a wrong label."""
    return len(bytes(range(256)).decode(codec, errors="replace")) == 256


def decode_as(raw: bytes, codec: str) -> str:
    """``raw`` in ``codec``, strictly (UnicodeDecodeError), except that Windows-1252 and
    ISO-8859-1 are read as one total table (see ``_WINDOWS_1252``)."""
    if codec in _AS_WINDOWS_1252:
        return raw.decode("latin-1").translate(_WINDOWS_1252)
    return raw.decode(codec)


def read_text(
    raw: bytes, declared: str | None, *, fallback: str | None = None, field: str | None = None
) -> str:
    """Bytes as the sender means them. ``declared`` is the codec the sender named (already
    checked by ``text_charset``), ``fallback`` the partner profile's charset for 8-bit copy sent
    without one. Without a label: UTF-8 when valid, else ``fallback``, else Windows-1252 (warned
    ``charset_guessed``). With one: UTF-8 bytes under a single-byte label, or bytes that do not
    fit the label but are UTF-8, are read as UTF-8 (``charset_mislabelled``). Raises
    UnicodeDecodeError (its ``start`` the offset) for bytes that fit neither the label nor UTF-8.
    """
    if declared is None:
        return _unlabelled(raw, fallback, field)
    if declared != "utf-8" and single_byte(declared) and is_multibyte_utf8(raw):
        _mislabelled(declared, field)
        return raw.decode("utf-8")
    try:
        return decode_as(raw, declared)
    except UnicodeDecodeError:
        if not is_utf8(raw):
            raise
    _mislabelled(declared, field)
    return raw.decode("utf-8")


def _mislabelled(declared: str, field: str | None) -> None:
    warn(
        "charset_mislabelled",
        f"the bytes are UTF-8, not the declared {declared}: read as UTF-8",
        field=field,
    )


def _unlabelled(raw: bytes, fallback: str | None, field: str | None) -> str:
    if is_utf8(raw):
        return raw.decode("utf-8")
    if fallback is not None:
        return _profile_charset(raw, text_charset(fallback), field)
    warn(
        "charset_guessed",
        "no charset given and the bytes are not UTF-8: read as Windows-1252",
        field=field,
    )
    return decode_as(raw, "cp1252")


def _profile_charset(raw: bytes, codec: str, field: str | None) -> str:
    """The partner's configured charset: expected, so not warned, unless a byte does not fit
    it (windows-1251 leaves 0x98 undefined); that byte becomes U+FFFD (``charset_replaced``)."""
    try:
        return decode_as(raw, codec)
    except UnicodeDecodeError as exc:
        warn(
            "charset_replaced",
            f"byte {exc.start} is not {codec} (the profile's charset): replaced with U+FFFD",
            field=field,
        )
    return raw.decode(codec, errors="replace")
