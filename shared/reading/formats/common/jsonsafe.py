"""Strict JSON for partner documents: RFC 8259 syntax with line and column on errors, bounded
nesting, and no value that storage or clients cannot take.

``decode_json`` raises ``Malformed`` (400) for bad syntax and NaN/Infinity and ``Invalid`` (422)
for nesting deeper than ``MAX_DEPTH``; values it cannot hand on (1e400, integers over 4300
digits) and duplicate keys are kept as markers that ``inspect`` reports with their JSON Pointer,
with U+0000 and lone surrogates, as ``Invalid``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from shared.core.errors import DatelineError, Invalid, Malformed

MAX_DEPTH = 64
MAX_INT_DIGITS = 4300  # CPython's int/str conversion limit (CVE-2020-10735)
# A string, closed or running to the end (so each " matches once: linear), or a bracket.
STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[{\]}]', re.S)
BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


class _Bad:
    """Stands in for a decoded value that must not be handed on; reported with its pointer."""

    def __init__(self, message: str, error: type[DatelineError] = Invalid) -> None:
        self.message, self.error = message, error


class _Object(dict[str, Any]):
    duplicate: str | None = None


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) < len(pairs):
        obj.duplicate = _first_repeat(key for key, _ in pairs)
    return obj


def _first_repeat(keys: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def _int(text: str) -> int | _Bad:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return _Bad(f"an integer of more than {MAX_INT_DIGITS} digits is not accepted")
    return int(text)


def _float(text: str) -> float | _Bad:
    value = float(text)
    return value if math.isfinite(value) else _Bad(f"the number {text[:24]} is out of range")


def _constant(name: str) -> _Bad:
    return _Bad(f"{name} is not valid JSON (RFC 8259 has no NaN or Infinity)", Malformed)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def decode_json(text: str) -> Any:
    _check_depth(text)
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        problem = re.sub(r"( starting)? at$", "", exc.msg)  # "Invalid control character at"
        where = {"line": exc.lineno, "column": exc.colno, "message": problem}
        detail = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {problem}"
        raise Malformed(detail, errors=[where]) from None
    except RecursionError:  # the depth scan stops this first; never let it escape regardless
        raise invalid("", f"JSON nested deeper than {MAX_DEPTH} levels") from None


def _check_depth(text: str) -> None:
    """Counts brackets outside strings, so deep nesting fails before the decoder recurses."""
    depth = 0
    for match in STRUCTURE.finditer(text):
        char = match.group()[0]
        depth += 1 if char in "[{" else -1 if char in "]}" else 0
        if depth > MAX_DEPTH:
            at = match.start()
            line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
            message = f"JSON nested deeper than {MAX_DEPTH} levels"
            where = {"line": line, "column": column, "message": message}
            raise Invalid(f"{message} at line {line}, column {column}", errors=[where])


def inspect(value: Any, pointer: str) -> None:
    """Raises for the first value anywhere in the tree that storage or clients cannot take."""
    if isinstance(value, _Bad):
        raise invalid(pointer, value.message, value.error)
    if isinstance(value, str) and BAD_CHARS.search(value):
        raise invalid(pointer, "contains U+0000 or a lone surrogate, which cannot be stored")
    if isinstance(value, list):
        for index, member in enumerate(value):
            inspect(member, f"{pointer}/{index}")
    elif isinstance(value, dict):
        if isinstance(value, _Object) and value.duplicate is not None:
            raise invalid(child(pointer, value.duplicate), "this key appears twice in one object")
        for key, member in value.items():
            if BAD_CHARS.search(key):
                raise invalid(pointer, "a key contains U+0000 or a lone surrogate")
            inspect(member, child(pointer, key))


def child(pointer: str, key: str) -> str:
    return f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"


def invalid(pointer: str, message: str, error: type[DatelineError] = Invalid) -> DatelineError:
    return error(
        f"{pointer or 'document'}: {message}", errors=[{"field": pointer, "message": message}]
    )
