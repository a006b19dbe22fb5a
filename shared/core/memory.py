"""Memory that goes back to the system after large requests.

glibc serves an allocation of at least ``M_MMAP_THRESHOLD`` bytes with a mapping of its own,
unmapped when it is freed. But the threshold adapts: after such a block is freed it rises to the
block's size (up to 32 MB), so after a burst of large bodies the next ones come from the heap,
and a heap fragmented by many threads is not given back. A fixed threshold turns that off:
large buffers keep their own mappings and leave with them. Measured with ``bench/stalls.py``
(45 concurrent pushes of a 700 KB page): the API process stayed 40 MB above where it started
10 s after the attack; with a fixed threshold, 11 MB.
"""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # <malloc.h>
LARGE = 128 * 1024  # glibc's own starting threshold


def return_large_buffers() -> bool:
    """Fix glibc's mmap threshold for this process; False where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE))


def give_back_free_memory() -> bool:
    """Return the heap's free pages to the system (glibc's ``malloc_trim``, which also releases
    whole free pages inside the heap, not only at its top): after a burst of large requests,
    the memory their many smaller buffers took is free but fragmented, and stays counted until
    then. A few milliseconds; False where the C library is not glibc."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return False
    return bool(trim(0))
