"""``in_one_chunk(call)``: run the function's init where no Python call maps or unmaps stack memory.

CPython (3.11 to 3.13) keeps Python frames in chunks of 16 KiB. A call that does not fit in the
current chunk maps a new one, and the chunk is unmapped as soon as the call that opened it returns.
A framework's import nests deep and calls many small functions: where one of them sits across a
chunk's edge, every call pays an mmap, a munmap and a page fault. Which calls sit there depends on
how deep the stack already is, so it changes with anything above (awslambdaric, our handler, the
import system): importing scikit-learn from a script's top level crossed an edge ~4,300 times,
from inside init more or fewer (strace -c; docs/benchmarks.md, "Cold start, sixth pass").

``in_one_chunk`` calls through a frame that reserves 512 KiB of stack slots it never uses: CPython
opens a 1 MiB chunk for that frame, and everything called from it has the other ~512 KiB, more than
the deepest init we measured (torch's import) needs. The unused slots are never written, so they
cost address space only; the chunk is unmapped when ``call`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
# 8-byte slots: 512 KiB, over half of 1 MiB, so the chunk CPython opens for this frame is 1 MiB
# (it doubles 16 KiB until the frame fits) and leaves the other half to the frames above it.
RESERVED_SLOTS = 64 * 1024


def in_one_chunk(call: Callable[[], _T]) -> _T:
    """``call()``, with ~512 KiB of frame stack free above it in one chunk."""
    return call()


in_one_chunk.__code__ = in_one_chunk.__code__.replace(co_stacksize=RESERVED_SLOTS)
