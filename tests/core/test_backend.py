"""The array-module switch, and the clear errors when a GPU is asked for but missing."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from neurocanvas.core import Tensor, backend, manual_seed
from neurocanvas.core.random import default_rng


@pytest.fixture
def fresh_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget any CuPy already loaded so each test decides what 'import cupy' gives."""
    monkeypatch.setattr(backend, "_cupy", None)


def test_cpu_is_numpy() -> None:
    assert backend.get_xp("cpu") is np
    assert backend.get_xp(None) is np
    assert backend.array_module(np.zeros(2)) is np
    assert backend.device_of(np.zeros(2)) == "cpu"


def test_device_names_are_normalised_and_checked() -> None:
    assert backend.normalize_device("CUDA:0") == "cuda"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        backend.get_xp("tpu")


def test_cuda_without_cupy_names_what_to_install(
    fresh_backend: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    with pytest.raises(RuntimeError, match=r'pip install "neurocanvas\[gpu\]"'):
        backend.get_xp("cuda")
    assert not backend.cuda_available()
    with pytest.raises(RuntimeError, match="CuPy"):
        Tensor(np.zeros(2), device="cuda")


def test_cuda_without_a_gpu_says_so(fresh_backend: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_devices() -> int:
        raise RuntimeError("cudaErrorNoDevice")

    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_devices))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(RuntimeError, match="no CUDA GPU was found"):
        backend.get_xp("cuda")


def test_to_numpy_copies_only_when_asked() -> None:
    a = np.arange(3.0)
    assert backend.to_numpy(a) is a
    b = backend.to_numpy(a, copy=True)
    assert b is not a and np.array_equal(a, b)
    assert backend.to_device(a, "cpu") is a


def test_manual_seed_makes_the_shared_generator_repeat() -> None:
    manual_seed(7)
    first = default_rng().random(4)
    manual_seed(7)
    np.testing.assert_array_equal(default_rng().random(4), first)
    with pytest.raises(TypeError, match="int seed"):
        manual_seed(1.5)  # type: ignore[arg-type]


@pytest.mark.gpu
def test_tensor_round_trip_on_gpu() -> None:
    pytest.importorskip("cupy")
    if not backend.cuda_available():
        pytest.skip("no CUDA GPU")
    x = Tensor(np.arange(4.0), requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda"
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.arange(4.0))
