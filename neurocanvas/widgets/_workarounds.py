"""Process-wide workaround for a reference-count bug in PySide6 6.12.0 / shiboken6.

In that release every C++ -> Python virtual call that returns a value (``boundingRect``,
``itemChange``, ``sizeHint``, ...) drops one reference to ``None``. On Python < 3.12, where
``None`` is not immortal and starts near 5,000 references, an editor or plot crashes the
interpreter ("none_dealloc: deallocating None") after a few thousand repaints. ``None`` must
never be freed anyway, so giving it a huge reference count makes the leak harmless.
"""

from __future__ import annotations

import ctypes
import sys

_PIN = 2**40  # leaks of one per call: decades of repaints
_pinned = False


def pin_none() -> None:
    """Keep ``None``, ``True`` and ``False`` alive against the leak.

    Idempotent; nothing to do on Python 3.12+, where these objects are immortal.
    """
    global _pinned
    if _pinned or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    # ob_refcnt is the first field of every CPython object; id() is the object's address.
    # True and False suffer the same way (itemChange passes them for selection changes).
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _PIN
    _pinned = True
