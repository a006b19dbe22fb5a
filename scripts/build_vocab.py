"""Rebuild the vendored IPTC NewsCodes vocabularies in ``shared/reading/vocab/`` from IPTC's
downloads.

Usage::

    python scripts/build_vocab.py --subjectcode SUBJECT.json --mediatopic MEDIATOPIC.xlsx

Each input may be any of the forms IPTC publishes or that copies of its data take:

* the IKOS JSON-LD download (``cv.iptc.org/newscodes/<scheme>?format=json``): a ``conceptSet``
  of concepts with ``qcode``, ``prefLabel`` by language and ``broader`` URIs;
* the Media Topic spreadsheet ``IPTC-MediaTopic-NewsCodes.xlsx`` (one row per topic in tree
  order, the code in the column of its level, ``Name (en-GB)``);
* a flat JSON object ``{"04006002": "banking", ...}`` (Subject Codes only: parents follow from
  the digits).

The output is ``{code: [english_name, parent_code_or_null]}``, sorted by code, one entry per
line. Names have runs of spaces collapsed and IPTC's ``-DEPRECATED`` suffix dropped: a retired
code still names the same subject. Nothing here runs at import or test time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

OUT = Path(__file__).resolve().parent.parent / "shared" / "vocab"
CODE = re.compile(r"\d{8}")
XLSX_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
LANGUAGES = ("en-GB", "en", "en-US")

Vocabulary = dict[str, tuple[str, str | None]]


def clean(name: str) -> str:
    """The label with whitespace collapsed and a trailing ``-DEPRECATED`` removed."""
    name = " ".join(name.split())
    return re.sub(r"\s*-\s*DEPRECATED$", "", name, flags=re.I)


def subject_parent(code: str) -> str | None:
    """04006002 → 04006000 → 04000000 → None: Subject Codes carry their parents in the digits."""
    if code[5:] != "000":
        return code[:5] + "000"
    if code[2:5] != "000":
        return code[:2] + "000000"
    return None


def tail(reference: str) -> str | None:
    """The eight-digit code at the end of a qcode or a cv.iptc.org URI, if any."""
    match = CODE.search(reference.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    return match.group() if match else None


def english(labels: dict[str, str]) -> str | None:
    for language in LANGUAGES:
        if labels.get(language):
            return labels[language]
    return None


def from_ikos(document: dict[str, Any], implied: bool) -> Vocabulary:
    """Concepts of an IKOS JSON-LD download; parents from ``broader`` or, if implied, the digits."""
    vocabulary: Vocabulary = {}
    for concept in document["conceptSet"]:
        code = tail(concept.get("qcode") or concept.get("uri") or "")
        name = english(concept.get("prefLabel") or {})
        if not code or not name:
            continue
        broader = [tail(b) for b in concept.get("broader") or ()]
        parent = subject_parent(code) if implied else next((b for b in broader if b), None)
        vocabulary[code] = (clean(name), parent)
    return vocabulary


def from_flat(document: dict[str, str]) -> Vocabulary:
    """A ``{code: name}`` Subject Code list."""
    return {
        code: (clean(name), subject_parent(code))
        for code, name in document.items()
        if CODE.fullmatch(code) and name
    }


def _xlsx_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of the first sheet as {column letter: text}."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    with zipfile.ZipFile(path) as book:
        shared = etree.fromstring(book.read("xl/sharedStrings.xml"), parser)
        strings = ["".join(si.itertext()) for si in shared.iterfind("m:si", XLSX_NS)]
        sheet = etree.fromstring(book.read("xl/worksheets/sheet1.xml"), parser)
    for row in sheet.iterfind("m:sheetData/m:row", XLSX_NS):
        cells: dict[str, str] = {}
        for cell in row.iterfind("m:c", XLSX_NS):
            column = re.match(r"[A-Z]+", cell.get("r", "")).group()
            value = cell.find("m:v", XLSX_NS)
            if cell.get("t") == "s" and value is not None:
                cells[column] = strings[int(value.text)]
            elif cell.get("t") == "inlineStr":
                cells[column] = "".join(cell.itertext())
            elif value is not None and value.text:
                cells[column] = value.text
        yield cells


def from_xlsx(path: Path) -> Vocabulary:
    """IPTC's Media Topic spreadsheet: the parent is the last code seen one level up."""
    rows = _xlsx_rows(path)
    header: dict[str, str] = {}
    for cells in rows:
        if "NewsCode-QCode (flat)" in cells.values():
            header = {text: column for column, text in cells.items()}
            break
    levels = [header[f"Level{n}/NewsCode"] for n in range(1, 7) if f"Level{n}/NewsCode" in header]
    names = [header[f"Name ({lang})"] for lang in LANGUAGES if f"Name ({lang})" in header]
    vocabulary: Vocabulary = {}
    path_so_far: list[str | None] = [None] * len(levels)
    for cells in rows:
        depth = next((i for i, column in enumerate(levels) if cells.get(column)), None)
        code = tail(cells.get(header["NewsCode-QCode (flat)"], ""))
        name = next((cells[c] for c in names if cells.get(c)), None)
        if depth is None or not code or not name:
            continue
        path_so_far[depth:] = [code] + [None] * (len(levels) - depth - 1)
        vocabulary[code] = (clean(name), path_so_far[depth - 1] if depth else None)
    return vocabulary


def load(path: Path, implied: bool) -> Vocabulary:
    if path.suffix == ".xlsx":
        return from_xlsx(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    if "conceptSet" in document:
        return from_ikos(document, implied)
    return from_flat(document)


def write(vocabulary: Vocabulary, path: Path) -> None:
    """One ``"code":[name,parent]`` per line, sorted: compact and diff-friendly."""
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    lines = [
        f"{json.dumps(code)}:{json.dumps(list(vocabulary[code]), **compact)}"
        for code in sorted(vocabulary)
    ]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"{path}: {len(vocabulary)} entries, {path.stat().st_size} bytes", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjectcode", type=Path, help="Subject Code download")
    parser.add_argument("--mediatopic", type=Path, help="Media Topic download")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    args = parser.parse_args(argv)
    if args.subjectcode:
        write(load(args.subjectcode, implied=True), args.out / "subjectcode.json")
    if args.mediatopic:
        write(load(args.mediatopic, implied=False), args.out / "mediatopic.json")


if __name__ == "__main__":
    main()
