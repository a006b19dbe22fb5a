"""Opaque, time-ordered string ids (48-bit milliseconds + 80 random bits, Crockford base32).

Within a process, ids increase strictly: a second id in the same millisecond is the first plus
one, so ids sort in the order they were made (item ids break near-duplicate ties by age)."""

from __future__ import annotations

import os
import secrets
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_lock = threading.Lock()
_last = 0


def _forget() -> None:  # a forked child must not continue its parent's sequence
    global _last
    _last = 0


os.register_at_fork(after_in_child=_forget)


def new_id() -> str:
    global _last
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    with _lock:
        if value <= _last:
            value = _last + 1
        _last = value
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))
