"""The whole ``"cuda"`` code path, run on the CPU through a strict fake CuPy.

No GPU is needed: :mod:`tests.core.fake_cupy` makes device arrays a separate type that numpy
cannot convert implicitly and that refuses to mix with host arrays, so any host-only call on
the device path fails here as it would on a real GPU. Results must equal a CPU run with the
same seed, since the fake computes with numpy underneath.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from neurocanvas.core import Tensor, backend, manual_seed, nn, optim
from neurocanvas.core.training import Trainer, TrainingConfig
from tests.core.fake_cupy import DeviceArray
from tests.core.fake_cupy import module as fake_cupy

TOL = {"rtol": 1e-5, "atol": 1e-6}


@pytest.fixture
def cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import cupy`` give the fake, and forget any CuPy the backend loaded before."""
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    monkeypatch.setattr(backend, "_cupy", None)


def make_mlp() -> nn.Module:
    manual_seed(0)
    return nn.Sequential(
        nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 3)
    )


def make_cnn() -> nn.Module:
    manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(16, 3),
    )


MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "mlp": (make_mlp, (2,)),
    "cnn": (make_cnn, (1, 4, 4)),
}
OPTIMIZERS: dict[str, Callable[[Any], optim.Optimizer]] = {
    "sgd-momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "adam": lambda p: optim.Adam(p, lr=1e-2),
    "adamw": lambda p: optim.AdamW(p, lr=1e-2, weight_decay=1e-2),
    "rmsprop": lambda p: optim.RMSprop(p, lr=1e-2, momentum=0.5),
}


def batches(input_shape: tuple[int, ...], n: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    return [
        (
            rng.standard_normal((6, *input_shape)).astype(np.float32),
            (np.arange(6) % 3).astype(np.int64),
        )
        for _ in range(n)
    ]


def graph_tensors(root: Tensor) -> list[Tensor]:
    """Every tensor that the graph of ``root`` recorded (read before backward frees it)."""
    seen: dict[int, Tensor] = {}
    stack = [root]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen[id(t)] = t
        if t._ctx is not None and t._ctx.inputs is not None:
            stack.extend(t._ctx.inputs)
    return list(seen.values())


def arrays_of(model: nn.Module) -> dict[str, Any]:
    """Raw arrays of every parameter and buffer (state_dict would copy them to the host)."""
    out = {f"param {k}": p.array for k, p in model.named_parameters()}
    for m_name, m in model.named_modules():
        for b_name, b in m._buffers.items():
            if b is not None:
                out[f"buffer {m_name}.{b_name}"] = b.array
    return out


def train(
    model: nn.Module,
    opt: optim.Optimizer,
    data: list[tuple[np.ndarray, np.ndarray]],
    device: str,
) -> list[float]:
    """A few steps; on the device also check every array the graph and optimizer touched."""
    manual_seed(5)  # the same dropout masks on both devices
    losses = []
    model.train()
    for x, y in data:
        out = model(Tensor(x, device=device))
        loss = nn.CrossEntropyLoss()(out, Tensor(y, device=device))
        if device == "cuda":
            hosts = [t.shape for t in graph_tensors(loss) if not isinstance(t.array, DeviceArray)]
            assert not hosts, f"graph tensors left on the host, shapes {hosts}"
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if device == "cuda":
            for name, p in model.named_parameters():
                assert isinstance(p.grad.array, DeviceArray), f"grad of {name} is on the host"
    return losses


def assert_on(arrays: dict[str, Any], kind: type) -> None:
    wrong = {k: type(v).__name__ for k, v in arrays.items() if type(v) is not kind}
    assert not wrong, f"expected {kind.__name__}: {wrong}"


def optimizer_arrays(opt: optim.Optimizer) -> dict[str, Any]:
    return {
        f"{i}.{k}": v
        for i, st in enumerate(opt.state.values())
        for k, v in st.items()
        if hasattr(v, "shape") and len(v.shape) > 0
    }


# ----------------------------------------------------------------------------------------
# The fake itself must be able to fail, or the tests below would prove nothing.


def test_the_fake_refuses_what_cupy_refuses(cuda: None) -> None:
    d = backend.to_device(np.arange(3.0), "cuda")
    assert isinstance(d, DeviceArray) and not isinstance(d, np.ndarray)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(d)
    with pytest.raises(TypeError, match="Unsupported type"):
        d + np.ones(3)  # noqa: B018 - the failing operation is the point
    with pytest.raises(TypeError, match="Unsupported type"):
        d[...] = np.ones(3)
    assert isinstance(np.exp(d), DeviceArray)  # numpy functions dispatch to "CuPy"
    assert isinstance(d.sum(), DeviceArray)  # and reductions stay on the device
    host = backend.to_numpy(d)
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(host, np.arange(3.0))


def test_tensor_to_cuda_and_back_carries_the_gradient(cuda: None) -> None:
    x = Tensor(np.arange(4.0), requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda" and isinstance(y.array, DeviceArray)
    (y * y).sum().backward()
    assert x.grad.device == "cpu" and type(x.grad.array) is np.ndarray
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.arange(4.0))
    assert type(y.detach().numpy()) is np.ndarray
    assert "device='cuda:0'" in repr(y)


# ----------------------------------------------------------------------------------------
# Modules


@pytest.mark.parametrize("name", sorted(MODELS))
def test_module_to_moves_every_parameter_and_buffer_and_back(cuda: None, name: str) -> None:
    model = MODELS[name][0]()
    before = {k: backend.to_numpy(v).copy() for k, v in arrays_of(model).items()}
    assert any(k.startswith("buffer") for k in before), "the model should have BN buffers"
    assert model.to("cuda") is model
    assert_on(arrays_of(model), DeviceArray)
    assert all(p.device == "cuda" for p in model.parameters())
    model.cpu()
    assert_on(arrays_of(model), np.ndarray)
    for k, v in arrays_of(model).items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_training_on_cuda_stays_on_the_device_and_matches_cpu(
    cuda: None, name: str, opt_name: str
) -> None:
    build, shape = MODELS[name]
    data = batches(shape)
    cpu_model = build()
    cpu_losses = train(cpu_model, OPTIMIZERS[opt_name](cpu_model.parameters()), data, "cpu")

    gpu_model = build().to("cuda")
    gpu_opt = OPTIMIZERS[opt_name](gpu_model.parameters())
    gpu_losses = train(gpu_model, gpu_opt, data, "cuda")

    assert_on(arrays_of(gpu_model), DeviceArray)  # BN running stats updated in place
    assert_on(optimizer_arrays(gpu_opt), DeviceArray)
    np.testing.assert_allclose(gpu_losses, cpu_losses, **TOL)
    gpu_state = gpu_model.state_dict()
    assert_on(dict(gpu_state), np.ndarray)
    for k, v in cpu_model.state_dict().items():
        np.testing.assert_allclose(gpu_state[k], v, err_msg=k, **TOL)

    gpu_model.eval()  # running statistics path of BatchNorm, Dropout off
    x = Tensor(data[0][0], device="cuda")
    cpu_model.eval()
    np.testing.assert_allclose(
        gpu_model(x).detach().numpy(), cpu_model(Tensor(data[0][0])).detach().numpy(), **TOL
    )


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_optimizer_state_follows_the_parameters_to_cuda_and_back(cuda: None, opt_name: str) -> None:
    data = batches((2,), n=3)

    def run(devices: tuple[str, str, str]) -> tuple[list[float], nn.Module]:
        model = make_mlp()
        opt = OPTIMIZERS[opt_name](model.parameters())
        losses: list[float] = []
        for i, device in enumerate(devices):
            model.to(device)
            losses += train(model, opt, data[i : i + 1], device)
            # state made on the CPU moved with its parameters at this step, and back
            kind = DeviceArray if device == "cuda" else np.ndarray
            assert_on(optimizer_arrays(opt), kind)
        return losses, model

    moved_losses, moved = run(("cpu", "cuda", "cpu"))
    ref_losses, ref = run(("cpu", "cpu", "cpu"))
    np.testing.assert_allclose(moved_losses, ref_losses, **TOL)
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(moved.state_dict()[k], v, err_msg=k, **TOL)


def test_state_dicts_are_host_arrays_and_load_onto_a_cuda_module(cuda: None) -> None:
    data = batches((2,), n=2)
    src = make_mlp()
    src_opt = optim.Adam(src.parameters(), lr=1e-2)
    train(src, src_opt, data[:1], "cpu")
    saved, saved_opt = src.state_dict(), src_opt.state_dict()

    dst = nn.Sequential(
        nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 3)
    ).to("cuda")
    dst_opt = optim.Adam(dst.parameters(), lr=1e-2)
    dst.load_state_dict(saved)
    dst_opt.load_state_dict(saved_opt)
    assert_on(arrays_of(dst), DeviceArray)
    assert_on(optimizer_arrays(dst_opt), DeviceArray)
    out_state = dst.state_dict()
    assert_on(dict(out_state), np.ndarray)
    assert_on(
        {
            f"{i}.{k}": v
            for i, st in dst_opt.state_dict()["state"].items()
            for k, v in st.items()
            if hasattr(v, "shape")
        },
        np.ndarray,
    )
    for k, v in saved.items():
        np.testing.assert_array_equal(out_state[k], v, err_msg=k)

    # the loaded pair continues exactly like the source would
    train(src, src_opt, data[1:], "cpu")
    train(dst, dst_opt, data[1:], "cuda")
    for k, v in src.state_dict().items():
        np.testing.assert_allclose(dst.state_dict()[k], v, err_msg=k, **TOL)


# ----------------------------------------------------------------------------------------
# Trainer


def image_data() -> SimpleNamespace:
    rng = np.random.default_rng(0)
    y = np.arange(40) % 3
    x = rng.standard_normal((40, 1, 4, 4)).astype(np.float32) * 0.1
    x[np.arange(40), 0, y, y] += 1.0
    return SimpleNamespace(
        name="toy-images",
        kind="classification",
        x_train=x[:30],
        y_train=y[:30].astype(np.int64),
        x_val=x[30:],
        y_val=y[30:].astype(np.int64),
        input_shape=(1, 4, 4),
        n_outputs=3,
        class_names=None,
        true_fn=None,
        x_range=None,
    )


def host_leaves(value: Any, path: str = "snapshot") -> list[tuple[str, type]]:
    """Every array in a snapshot (nested in dicts/lists/dataclass fields) with its type."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in host_leaves(v, f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in host_leaves(v, f"{path}[{i}]")]
    if hasattr(value, "__dataclass_fields__"):
        return [
            leaf for k in value.__dataclass_fields__ for leaf in host_leaves(getattr(value, k), k)
        ]
    if hasattr(value, "shape") or hasattr(value, "__cuda_array_interface__"):
        return [(path, type(value))]
    return []


def test_trainer_on_cuda_trains_like_cpu_and_hands_out_host_arrays(cuda: None) -> None:
    def run(device: str) -> tuple[Trainer, list[Any]]:
        snaps: list[Any] = []
        config = TrainingConfig(epochs=1, batch_size=10, optimizer="adam", lr=1e-2, device=device)
        trainer = Trainer(make_cnn(), image_data(), config)
        final = trainer.run(snaps.append)
        return trainer, [*snaps, final]

    gpu, gpu_snaps = run("cuda")
    cpu, cpu_snaps = run("cpu")
    assert_on(arrays_of(gpu.model), DeviceArray)
    leaves = [leaf for s in gpu_snaps for leaf in host_leaves(s)]
    assert leaves, "snapshots should hold arrays"
    not_host = [(p, t.__name__) for p, t in leaves if t is not np.ndarray]
    assert not not_host, f"snapshot arrays not on the host: {not_host}"
    assert_on(dict(gpu.weights()), np.ndarray)

    g, c = gpu_snaps[-1], cpu_snaps[-1]
    assert g.step == c.step == 3
    np.testing.assert_allclose(g.step_loss, c.step_loss, **TOL)
    np.testing.assert_allclose(g.val_loss, c.val_loss, **TOL)
    np.testing.assert_array_equal(g.confusion, c.confusion)
    for k, v in cpu.weights().items():
        np.testing.assert_allclose(gpu.weights()[k], v, err_msg=k, **TOL)


@pytest.mark.parametrize(
    "loss_fn", [nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(), nn.BCEWithLogitsLoss()], ids=repr
)
def test_pointwise_losses_move_a_constant_host_target_to_the_input_device(
    cuda: None, loss_fn: nn.Module
) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = rng.random((4, 3)).astype(np.float32)
    ref_in = Tensor(x.copy(), requires_grad=True)
    ref = loss_fn(ref_in, Tensor(t))
    ref.backward()
    dev_in = Tensor(x.copy(), device="cuda", requires_grad=True)
    loss = loss_fn(dev_in, Tensor(t))  # host target, like cross_entropy accepts
    loss.backward()
    assert isinstance(loss.array, DeviceArray) and isinstance(dev_in.grad.array, DeviceArray)
    np.testing.assert_allclose(loss.item(), ref.item(), **TOL)
    np.testing.assert_allclose(dev_in.grad.numpy(), ref_in.grad.numpy(), **TOL)
