"""Freed memory kept for reuse (core/_malloc.py): a CNN step stops page-faulting its arrays."""

from __future__ import annotations

import platform
import resource
import sys

import numpy as np
import pytest

from neurocanvas.core import _malloc

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt's thresholds are glibc's",
)


def _faults(fn) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@glibc
def test_freed_activation_sized_arrays_are_reused_without_page_faults():
    assert _malloc.keep_freed_memory() is True
    assert _malloc.keep_freed_memory() is True  # once per process, then a no-op
    size = 8 << 20  # bigger than glibc's default mmap threshold, as a CNN's activations
    np.ones(size // 4, np.float32)  # allocated, touched and freed: now in the heap
    faults = _faults(lambda: np.ones(size // 4, np.float32).sum())
    # Without the setting the pages fault again (503 of them measured; numpy uses huge pages).
    assert faults < (size // resource.getpagesize()) // 10


@glibc
def test_a_winograd_convolution_turns_it_on(monkeypatch):
    pytest.importorskip("numba")
    from neurocanvas.core import _conv
    from neurocanvas.core.tensor import Tensor

    monkeypatch.setattr(_malloc, "_done", False)
    monkeypatch.setattr(_conv, "_winograd", None)  # as in a fresh process
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, 8, 5, 5)))
    _conv.conv2d(x, Tensor(rng.standard_normal((8, 8, 3, 3))), padding=1)
    assert _malloc._done is True
