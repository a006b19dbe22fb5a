"""The pure core of near-duplicate detection: the text compared, its MinHash signature, the LSH
band keys and the similarity of two stored signatures. No I/O; verdicts are in
``shared.matching.verdict``.

Signature layout (``SIGNATURE_BYTES`` = 512 bytes): the 128 MinHash values of datasketch's
``affine32`` scheme (seed 1, sha1-32 of each UTF-8 ``weighted_shingles`` member) as
little-endian uint32, in permutation order. A text without a word has the *empty* signature
(every value 0xFFFFFFFF): it has no band keys and is similar to nothing, itself included.

Band key: for band ``i`` (rows ``i*r`` to ``i*r + r - 1``) the first 8 bytes of
``blake2b(uint32_le(i) ‖ those rows' 4·r signature bytes)`` read as a big-endian *signed* 64-bit
int (a PostgreSQL ``bigint``). Signatures, band keys and similarities are deterministic across
processes and machines for the same datasketch scheme.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache

import numpy as np
from datasketch import MinHash

from shared.core.errors import TimestampError
from shared.reading.dateline import find_dateline

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # explicit: datasketch 2.0 changed the default; values must never drift
SHINGLE_WORDS = 3
NUMBER_WEIGHT = 3  # a shingle holding a figure counts 3 times: see ``weighted_shingles``
SIGNATURE_BYTES = NUM_PERM * 4
BANDS = 32
ROWS = 4

_DTYPE = np.dtype("<u4")
EMPTY_SIGNATURE = np.full(NUM_PERM, 0xFFFFFFFF, dtype=_DTYPE).tobytes()

# Only characters that can sit inside a word matter: other quotes and dashes are dropped with the
# punctuation. (``str.replace`` chains are ~10x faster than ``str.translate`` with a dict.)
_UNIFY = (
    ("’", "'"),
    ("‘", "'"),
    ("ʼ", "'"),
    ("`", "'"),
    ("´", "'"),
    ("‐", "-"),
    ("‑", "-"),
    ("‒", "-"),
    ("–", "-"),
    ("—", "-"),
    ("―", "-"),
    ("−", "-"),
    ("ё", "е"),
)
# A word: letters/digits, joined by an apostrophe or hyphen ("don't", "minsk-based"), or a
# number with its separators ("3.2145", "1,200", "10:30"). Everything else is punctuation.
_TOKEN = re.compile(r"\d+(?:[.,:/]\d+)*(?!\w)|\w+(?:['-]\w+)*")
_DIGIT = re.compile(r"[0-9]")
_LEAD_DASH = re.compile(r"\s*(?:--|[-–—_])?\s*")


def _without_lead(body: str, dateline_text: str | None) -> str:
    """``body`` without its dateline lead (``MINSK, 7 January (BelTA) –``) and the dash after it.

    The given ``dateline_text`` is removed when the body starts with it; otherwise a lead found by
    ``find_dateline`` in the first paragraph is removed. The body is returned unchanged when it
    does not start with a lead."""
    text = body.lstrip()
    lead = (dateline_text or "").strip()
    if lead and text.startswith(lead) and not text[len(lead) : len(lead) + 1].isalnum():
        rest = text[len(lead) :]
        # _LEAD_DASH matches the empty string, so match() never returns None here.
        return rest[_LEAD_DASH.match(rest).end() :]  # type: ignore[union-attr]
    try:
        found = find_dateline(text.split("\n\n", 1)[0], near=None)
    except TimestampError:
        return text
    return text[found[1] :] if found else text


def story_text(body_text: str | None, headline: str | None, dateline_text: str | None) -> str:
    """The text compared for near-duplicates: the body without its dateline lead (the headline
    when there is no body), NFKC, casefolded, quotes and dashes unified, ``ё`` read as ``е``,
    punctuation dropped (numbers keep their separators), words joined by single spaces.

    Never raises; returns ``""`` when there is no word at all."""
    body = _without_lead(body_text, dateline_text) if body_text and body_text.strip() else ""
    source = body if _TOKEN.search(body) else (headline or "")
    folded = unicodedata.normalize("NFKC", source).casefold()
    for odd, usual in _UNIFY:
        if odd in folded:
            folded = folded.replace(odd, usual)
    return " ".join(_TOKEN.findall(folded))


def _grams(words: list[str], k: int) -> list[str]:
    if len(words) < k:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]


def shingles(text: str, k: int = SHINGLE_WORDS) -> list[bytes]:
    """The distinct word ``k``-shingles of ``text`` (words split on whitespace) as UTF-8, in order
    of first appearance. A text of 1 to ``k``-1 words is one shingle of the whole; no words, no
    shingles."""
    return [g.encode() for g in dict.fromkeys(_grams(text.split(), k))]


def weighted_shingles(text: str) -> list[bytes]:
    """The word 3-shingles of ``text``, each shingle holding a digit followed by
    ``NUMBER_WEIGHT`` - 1 tagged copies (``shingle ‖ 0x00 ‖ n``), so it weighs ``NUMBER_WEIGHT``
    times in the Jaccard similarity. Figures are what tells one day's exchange rates or weather
    from the next day's same-template item; copies, edits, trims and reorders keep their figures,
    so their similarity hardly moves (labelled set: template stories 0.49 → 0.24 at most)."""
    out = []
    tags = [bytes((0, n)) for n in range(1, NUMBER_WEIGHT)]
    for gram in dict.fromkeys(_grams(text.split(), SHINGLE_WORDS)):
        raw = gram.encode()
        out.append(raw)
        if _DIGIT.search(gram):
            out.extend(raw + tag for tag in tags)
    return out


@cache
def _permutations() -> np.ndarray:
    """The 128 affine permutations, built once per process and shared by every signature."""
    permutations: np.ndarray = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    return permutations


def signature(text: str) -> bytes:
    """The MinHash signature of ``text`` (a ``story_text``) over its ``weighted_shingles``,
    serialised as documented in the module docstring. Deterministic; ``EMPTY_SIGNATURE`` for no
    words."""
    grams = weighted_shingles(text)
    if not grams:
        return EMPTY_SIGNATURE
    sketch = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    sketch.update_batch(grams)
    serialised: bytes = sketch.hashvalues.astype(_DTYPE, copy=False).tobytes()
    return serialised


def _values(sig: bytes) -> np.ndarray:
    if len(sig) != SIGNATURE_BYTES:
        raise ValueError(f"a signature is {SIGNATURE_BYTES} bytes, not {len(sig)}")
    return np.frombuffer(sig, dtype=_DTYPE)


def similarity(a: bytes, b: bytes) -> float:
    """The estimated Jaccard similarity of the shingle sets behind two signatures: the share of
    equal values, in [0, 1], symmetric; 0.0 when either is empty. ValueError on a malformed
    signature."""
    va, vb = _values(a), _values(b)
    if a == EMPTY_SIGNATURE or b == EMPTY_SIGNATURE:
        return 0.0
    return int(np.count_nonzero(va == vb)) / NUM_PERM


def band_keys(sig: bytes, *, bands: int = BANDS, rows: int = ROWS) -> list[int]:
    """One signed 64-bit key per band, sorted ascending (insert in this order: two transactions
    claiming overlapping keys then lock them in the same order and cannot deadlock). Two
    signatures share band ``i``'s key exactly when their rows of band ``i`` are equal (barring
    a 64-bit collision). The empty signature has no keys. ValueError when ``bands * rows``
    exceeds the 128 values or the signature is malformed."""
    _values(sig)
    if bands < 1 or rows < 1 or bands * rows > NUM_PERM:
        raise ValueError(f"{bands} bands of {rows} rows do not fit {NUM_PERM} values")
    if sig == EMPTY_SIGNATURE:
        return []
    width = rows * 4
    keys = []
    for band in range(bands):
        chunk = band.to_bytes(4, "little") + sig[band * width : (band + 1) * width]
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return sorted(keys)
