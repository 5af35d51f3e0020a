"""Lazy imports off the GUI thread (``preload``), and the objects that live as long as the
app set aside from the garbage collector's full passes.

A full (generation 2) collection walks every object Python tracks: ~110,000 once the window
is up (the modules of numpy, Qt, pyqtgraph and ours), ~200,000 once onnx and numba are
loaded. Python runs one now and then, in the thread that allocated the last straw: 70-130
ms of the GUI thread, seen as 150-190 ms stalls of building a data set or opening a
project. ``gc.freeze`` (the standard library's own answer, see the ``gc`` module's
documentation) moves the objects alive now into a permanent generation that collections
skip; everything made later is collected as before.

Frozen objects are never collected, so freezing is kept to moments when nearly everything
young is a module's: once at start-up (after a full collection), and after a package was
imported (onnx for an export, numba for the first Winograd convolution): at most once per
``NEW_MODULES`` new modules, so what it keeps beyond the modules is bounded.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading

__all__ = ["NEW_MODULES", "freeze_new_imports", "freeze_startup_heap", "preload"]

NEW_MODULES = 20  # a package's worth of newly imported modules (onnx: 29, numba: 225)
_modules_frozen = 0  # len(sys.modules) at the last freeze


def freeze_startup_heap() -> None:
    """Collect once, then leave every object alive now out of later collections.

    Call once the window is built (the app's ``main`` does; the start-up pays one full
    collection, ~70 ms, before the window is shown). Garbage made before this call and
    not collected by it would stay for good, hence the collection first.
    """
    global _modules_frozen
    gc.collect()
    gc.freeze()
    _modules_frozen = len(sys.modules)


def freeze_new_imports() -> bool:
    """Freeze the heap if at least ``NEW_MODULES`` modules were imported since the last
    freeze (no collection: their objects live until the app quits). Cheap otherwise; call
    it in any thread once lazily imported work is done. Returns whether it froze."""
    global _modules_frozen
    if not _modules_frozen or len(sys.modules) - _modules_frozen < NEW_MODULES:
        return False  # (before freeze_startup_heap, e.g. in tests: nothing is frozen)
    _modules_frozen = len(sys.modules)
    gc.freeze()
    return True


_PRELOADING: dict[str, threading.Thread] = {}


def preload(module: str) -> None:
    """Import ``module`` on a daemon thread, once, before the GUI thread needs it.

    The first ONNX export imported onnx (and protobuf) in the GUI thread: 0.1-0.2 s. The
    window starts this when the Export menu opens, so the import is done while the person
    picks a format and a file name; an import in the GUI thread then finds it loaded (or
    waits for the rest of it). A missing module is left for that import to report.
    """
    if module in sys.modules or module in _PRELOADING:
        return
    thread = threading.Thread(
        target=_import_quietly, args=(module,), name=f"preload {module}", daemon=True
    )
    _PRELOADING[module] = thread
    thread.start()


def _import_quietly(module: str) -> None:
    try:
        importlib.import_module(module)
        freeze_new_imports()  # kept out of the garbage collector's full passes
    except Exception:  # noqa: BLE001 - reported by the real import, where it is needed
        pass
