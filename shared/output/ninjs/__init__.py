"""Items as IPTC ninjs (docs/api.md, Reading items): ``?format=ninjs`` is 3.x, ``ninjs2`` is
2.x.

``to_ninjs3``/``to_ninjs2`` turn the contract item (as ``GET /v1/items/{id}`` returns it) into a
ninjs object; ``validate_ninjs3``/``validate_ninjs2`` check one against IPTC's own schemas, vendored
in ``schemas/`` (see ``schemas/LICENSE-IPTC.md``), and raise ``NinjsInvalid`` listing every error.
Validation is offline: the schemas' one external reference (GeoJSON) resolves to a local stub, and
``date-time``/``uri`` formats are really checked (``rfc3339-validator``, ``rfc3986-validator``).
Schemas and validators are built once per process.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012, SchemaRegistry

from shared.output.ninjs import mapping

MEDIA_TYPE = "application/ninjs+json"
NINJS3_VERSION = "3.3"
NINJS2_VERSION = "2.4"
SCHEMA3 = f"ninjs-schema_{NINJS3_VERSION}.json"
SCHEMA2 = f"ninjs-schema_{NINJS2_VERSION}.json"
GEOJSON_STUB = "geojson-stub.json"
REQUIRED_FORMATS = ("date-time", "uri")
MAX_MESSAGE = 300

__all__ = [
    "MEDIA_TYPE",
    "NINJS2_VERSION",
    "NINJS3_VERSION",
    "NinjsInvalid",
    "to_ninjs2",
    "to_ninjs3",
    "validate_ninjs2",
    "validate_ninjs3",
]


class NinjsInvalid(ValueError):
    """A ninjs object the schema rejects; ``errors`` holds ``{"field": JSON Pointer, "message"}``
    for each failure, sorted by JSON path."""

    def __init__(self, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail)
        self.detail, self.errors = detail, errors


def to_ninjs3(item: dict[str, Any]) -> dict[str, Any]:
    """The contract item as a new ninjs 3.x object that validates against the 3.3 schema."""
    return mapping.ninjs3(item, _standard(NINJS3_VERSION, SCHEMA3))


def to_ninjs2(item: dict[str, Any]) -> dict[str, Any]:
    """The contract item as a new ninjs 2.x object that validates against the 2.4 schema."""
    doc3 = mapping.ninjs3(item, _standard(NINJS3_VERSION, SCHEMA3))
    return mapping.ninjs2(doc3, _standard(NINJS2_VERSION, SCHEMA2))


def validate_ninjs3(doc: Any) -> None:
    """Returns if ``doc`` is valid ninjs 3.3; raises ``NinjsInvalid`` otherwise."""
    _check(_validator(SCHEMA3), doc, f"ninjs {NINJS3_VERSION}")


def validate_ninjs2(doc: Any) -> None:
    """Returns if ``doc`` is valid ninjs 2.4; raises ``NinjsInvalid`` otherwise."""
    _check(_validator(SCHEMA2), doc, f"ninjs {NINJS2_VERSION}")


def _standard(version: str, name: str) -> dict[str, str]:
    return {"name": "ninjs", "version": version, "schema": _schema(name)["$id"]}


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    text = (files(__package__) / "schemas" / name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _registry() -> SchemaRegistry:
    """Only local resources: anything else is unresolvable rather than fetched."""
    stub = _schema(GEOJSON_STUB)
    resource = Resource.from_contents(stub, default_specification=DRAFT202012)
    registry: SchemaRegistry = Registry().with_resource(stub["$id"], resource)
    return registry


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    checker = Draft202012Validator.FORMAT_CHECKER
    missing = [f for f in REQUIRED_FORMATS if f not in checker.checkers]
    if missing:  # jsonschema skips formats silently when their checker is not installed
        raise RuntimeError(
            f"ninjs validation needs format checkers for {missing}: install "
            "jsonschema[format-nongpl] (rfc3339-validator, rfc3986-validator)"
        )
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry(), format_checker=checker)


def _check(validator: Draft202012Validator, doc: Any, standard: str) -> None:
    failures = sorted(validator.iter_errors(doc), key=lambda e: (e.json_path, e.message))
    if not failures:
        return
    errors = [
        {"field": _pointer(e.absolute_path), "message": e.message[:MAX_MESSAGE]} for e in failures
    ]
    first = errors[0]
    count = f"{len(errors)} errors" if len(errors) > 1 else "1 error"
    detail = f"not valid {standard} ({count}): {first['field'] or '/'}: {first['message']}"
    raise NinjsInvalid(detail, errors)


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
