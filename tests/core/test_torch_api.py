"""The PyTorch API a tutorial learner meets: values against torch, gradients against float64
finite differences, and PyTorch's semantics for .data, in-place changes, dtypes and printing."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import neurocanvas.core as nc
from neurocanvas.core import nn
from neurocanvas.core import nn as nn_mod
from tests.core.gradcheck import check_grad

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(7)


def leaf(*shape: int) -> nc.Tensor:
    return nc.Tensor(RNG.standard_normal(shape), requires_grad=True)


# ---------------------------------------------------------------- gradients of the new ops

IDX = np.array([[0, 2, 1], [1, 1, 0]])
MASK = np.array([[True, False, True], [False, False, True]])

GRADS: dict[str, tuple[Callable[..., Any], tuple[int, ...]]] = {
    "sin": (lambda x: x.sin(), (2, 3)),
    "cos": (lambda x: x.cos(), (2, 3)),
    "where": (lambda x: nc.where(x > 0, x * 2, x.exp()), (2, 3)),
    "gather": (lambda x: x.gather(1, nc.tensor(IDX)), (2, 3)),
    "masked_fill": (lambda x: x.masked_fill(nc.tensor(MASK), 0.5), (2, 3)),
    "repeat": (lambda x: x.repeat(2, 1, 3), (2, 3)),
    "maximum": (lambda x: nc.maximum(x, x.detach() * 0 + 0.1), (2, 3)),
    "max_other": (lambda x: torch_like_max(x), (2, 3)),
    "norm": (lambda x: x.norm(), (2, 3)),
    "norm_dim": (lambda x: x.norm(dim=1), (2, 3)),
    "sort_values": (lambda x: x.sort(dim=1, descending=True).values, (2, 3)),
    "topk_values": (lambda x: x.topk(2, dim=1).values, (2, 3)),
    "chunk": (lambda x: x.chunk(2, dim=1)[1] * 3, (2, 3)),
    "split": (lambda x: x.split([1, 2], dim=1)[1].exp(), (2, 3)),
    "t": (lambda x: x.t() @ x, (2, 3)),
    "clamp_tensor": (lambda x: x.clamp(min=x.detach() * 0 - 0.2), (2, 3)),
    "elu": (lambda x: nn.functional.elu(x, 0.7), (2, 3)),
    "layer_norm": (lambda x: nn.functional.layer_norm(x, (3,)), (2, 3)),
    "log_softmax_nll": (
        lambda x: nn.functional.nll_loss(x.log_softmax(1), nc.tensor([2, 0])),
        (2, 3),
    ),
    "bce": (
        lambda x: nn.functional.binary_cross_entropy(x.sigmoid(), nc.tensor(MASK * 1.0)),
        (2, 3),
    ),
    "embedding": (lambda w: nn.functional.embedding(nc.tensor([[0, 2], [2, 2]]), w), (3, 4)),
    "std": (lambda x: x.std(dim=0), (4, 3)),
}


def torch_like_max(x: nc.Tensor) -> nc.Tensor:
    return nc.max(x, x.detach() * 0)  # torch.max(a, b): the elementwise overload


@pytest.mark.parametrize("name", sorted(GRADS))
def test_new_op_gradients_match_finite_differences(name: str) -> None:
    fn, shape = GRADS[name]
    assert check_grad(fn, leaf(*shape))


# ---------------------------------------------------------------- values against torch

VALUES: dict[str, Callable[[Any, Any], Any]] = {
    "add_alpha": lambda m, x: m.add(x, x, alpha=2),
    "sub": lambda m, x: m.sub(x, 1.5),
    "mul_div": lambda m, x: m.div(m.mul(x, 3.0), 2.0),
    "pow_exp_log": lambda m, x: m.log(m.exp(m.pow(x, 2))),
    "sqrt_abs": lambda m, x: m.sqrt(m.abs(x)),
    "sin_cos_tanh": lambda m, x: m.sin(x) + m.cos(x) + m.tanh(x),
    "sigmoid_relu": lambda m, x: m.sigmoid(x) + m.relu(x),
    "softmax": lambda m, x: m.softmax(x, dim=1),
    "clamp": lambda m, x: m.clamp(x, -0.5, 0.5),
    "where": lambda m, x: m.where(x > 0, x, m.zeros_like(x)),
    "sum_mean": lambda m, x: m.sum(x, 1) + m.mean(x, 1),
    "std_var": lambda m, x: m.std(x, 0) + m.var(x, 0, keepdim=True),
    "max_dim": lambda m, x: m.max(x, 1)[0] + m.max(x, 1)[1],
    "min_all": lambda m, x: m.min(x),
    "argmax_argmin": lambda m, x: m.argmax(x, dim=1) * 10 + m.argmin(x, dim=0)[:2],
    "topk": lambda m, x: m.topk(x, 2).values,
    "sort": lambda m, x: m.sort(x, dim=0, descending=True).indices,
    "cat_stack": lambda m, x: m.stack([m.cat([x, x], 1), m.cat([x, x], 1)]),
    "shapes": lambda m, x: m.transpose(m.unsqueeze(m.flatten(x), 0), 0, 1).squeeze(),
    "reshape": lambda m, x: m.reshape(x, (4, 2)),
    "matmul": lambda m, x: m.matmul(x, x.t()) + m.mm(x, x.T),
    "bmm": lambda m, x: m.bmm(x.unsqueeze(0), x.t().unsqueeze(0)),
    "round": lambda m, x: m.round(x * 10),
    "gt_lt_eq_ne": lambda m, x: (
        (x > 0).float() + (x < 0).float() * 2 + (x == x).float() + (x != 0).float()
    ),
    "any_all": lambda m, x: m.stack([(x > 0).any(), (x > -5).all()]),
    "repeat_expand": lambda m, x: x[:1].repeat(2, 2) + x[:1].expand(2, 4).repeat(1, 2),
    "gather": lambda m, x: m.gather(x, 1, m.tensor([[0, 0], [1, 0]])),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, -1.0),
    "norm": lambda m, x: m.stack([x.norm(), x.norm(p=1), x.norm(dim=1).sum()]),
    "chunk_split": lambda m, x: m.cat([*m.chunk(x, 3, 1), *m.split(x, [1, 3], 1)], 1),
    "linspace_arange": lambda m, x: m.linspace(0, 1, 5) + m.arange(5) + m.arange(0.0, 1.0, 0.2),
    "full_eye_ones": lambda m, x: m.full((2, 2), 1.5) + m.eye(2) + m.ones(2, 2) + m.zeros(2),
    "one_hot": lambda m, x: m.nn.functional.one_hot(m.tensor([0, 3, 1]), 5),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_functions_give_torchs_values_and_dtypes(name: str) -> None:
    data = np.arange(8, dtype=np.float32).reshape(2, 4) / 3 - 1.2
    ours = VALUES[name](nc, nc.tensor(data))
    theirs = VALUES[name](torch, torch.tensor(data))
    assert ours.dtype == getattr(np, str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- dtype promotion


@pytest.mark.parametrize("expr", [
    "m.tensor([1.0, 2.0]) * 2.5",
    "m.tensor([1, 2]) / 2",
    "m.tensor([1, 2]) * 2.5",
    "m.tensor(np.array([3, 255], dtype=np.uint8)) / 255.",
    "m.tensor([1, 2]) + 3",
    "m.tensor([1, 2], dtype=m.int32) + 3",
    "m.tensor([1.0], dtype=m.float64) + m.tensor([1.0])",
    "m.tensor([True, False]).sum()",
    "m.arange(4) * m.tensor([0.5])",
])  # fmt: skip
def test_promotion_follows_pytorch(expr: str) -> None:
    ours, theirs = eval(expr, {"m": nc, "np": np}), eval(expr, {"m": torch, "np": np})  # noqa: S307
    assert ours.dtype == getattr(np, str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_dtype_and_device_names_compare_like_pytorchs() -> None:
    x = nc.zeros(2, dtype=nc.float64)
    assert x.dtype == nc.float64 == nc.double and x.to(nc.float32).dtype == nc.float32
    assert nc.tensor([1]).dtype == nc.long and nc.Tensor(3, 3).dtype == nc.float32
    assert (
        x.device == "cpu"
        and x.device == nc.device("cpu")
        and repr(x.device) == "device(type='cpu')"
    )
    assert nc.cuda.is_available() is False and nc.cuda.device_count() == 0
    assert repr(nc.ones(2, 3).shape) == "torch.Size([2, 3])" and x.size() == (2,)


# ---------------------------------------------------------------- .data, in place, versions


def test_data_is_a_detached_tensor_sharing_storage() -> None:
    w = nc.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, nc.Tensor) and not d.requires_grad and d.grad_fn is None
    d.mul_(3)
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 6.0])
    (w * w).sum().backward()
    w.grad.data.zero_()
    assert w.grad.numpy().tolist() == [0.0, 0.0]
    w.data = nc.tensor([5.0, 5.0])
    assert w.detach().numpy().tolist() == [5.0, 5.0] and w.requires_grad


def test_hand_written_gradient_descent_updates_in_place_under_no_grad() -> None:
    x, y = nc.tensor([1.0, 2.0, 3.0]), nc.tensor([2.0, 4.0, 6.0])
    w = nc.tensor(0.0, requires_grad=True)
    for _ in range(50):
        loss = ((w * x - y) ** 2).mean()
        loss.backward()
        with nc.no_grad():
            w -= 0.05 * w.grad
        w.grad.zero_()
    assert w.requires_grad and w.is_leaf and abs(w.item() - 2.0) < 1e-3


def test_in_place_change_of_a_leaf_that_requires_grad_is_refused_like_pytorch() -> None:
    w = nc.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w[0] = 2.0


def test_in_place_on_a_non_leaf_is_recorded_and_a_changed_input_is_caught() -> None:
    a = nc.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.add_(1)
    assert type(b.grad_fn).__name__ == "AddBackward0"
    (b * b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * 2 * (2 * a.detach().numpy() + 1))
    c = a.sigmoid()
    d = c * c  # saves c
    c.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        d.sum().backward()


def test_integer_tensor_refuses_a_float_in_place_result() -> None:
    x = nc.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 1.5
    x += 2
    assert x.tolist() == [3, 4]


def test_retain_grad_and_numpy_of_a_tensor_that_requires_grad() -> None:
    x = nc.tensor([1.0, 2.0]).requires_grad_()
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    # DESIGN.md's contract: numpy() always gives the host array (PyTorch would raise here)
    np.testing.assert_array_equal(h.numpy(), h.detach().numpy())
    assert isinstance(h.numpy(), np.ndarray) and h.requires_grad


def test_autograd_grad_set_grad_enabled_and_bare_no_grad() -> None:
    x = nc.tensor([1.0, 3.0], requires_grad=True)
    (g,) = nc.autograd.grad((x**2).sum(), x)
    assert g.tolist() == [2.0, 6.0] and x.grad is None
    prev = nc.is_grad_enabled()
    with nc.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert nc.is_grad_enabled() == prev

    @nc.no_grad
    def f(t: nc.Tensor) -> nc.Tensor:
        return t * 2

    assert not f(x).requires_grad and f.__name__ == "f"


# ---------------------------------------------------------------- printing


@pytest.mark.parametrize("expr", [
    "m.tensor([[1., 2.]])",
    "m.tensor([1.5, 2.25, -3.0])",
    "m.tensor([1, 2, 3])",
    "m.tensor([True, False])",
    "m.tensor([1e-5, 1.0])",
    "m.tensor(3.5)",
    "m.tensor([1.0, 2.0], dtype=m.float64)",
    "m.zeros(0, 3)",
    "m.arange(20.0)",
    "m.tensor([1.0, 12345.0])",
    "m.ones(2, 2, 2)",
    "m.tensor([1.0, 2.0], requires_grad=True)",
    "m.tensor([1.0, 2.0], requires_grad=True).mean()",
])  # fmt: skip
def test_printing_reads_like_pytorch(expr: str) -> None:
    assert repr(eval(expr, {"m": nc})) == repr(eval(expr, {"m": torch}))  # noqa: S307


def test_format_and_printoptions_like_pytorch() -> None:
    loss = nc.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" == f"{torch.tensor(0.123456):.4f}"
    with pytest.raises(TypeError):
        f"{nc.ones(2):.2f}"  # as PyTorch: only a 0-d tensor formats like a number
    try:
        nc.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert repr(nc.tensor([1.2345, 2.0])) == repr(torch.tensor([1.2345, 2.0]))
    finally:
        nc.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


# ---------------------------------------------------------------- save / load


def test_save_and_load_round_trip_state_dicts_and_tensors() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    buf = io.BytesIO()
    nc.save(model.state_dict(), buf)
    buf.seek(0)
    state = nc.load(buf)
    assert list(state) == ["0.weight", "0.bias"]
    np.testing.assert_array_equal(state["0.weight"], model.state_dict()["0.weight"])
    buf = io.BytesIO()
    nc.save(nc.tensor([1.0, 2.0]), buf)
    buf.seek(0)
    assert nc.load(buf).tolist() == [1.0, 2.0]


def test_a_pytorch_pickle_file_is_refused_with_how_to_convert(tmp_path: Any) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match="(?s)never unpickles.*save_file"):
        nc.load(path)
    with pytest.raises(TypeError, match="entry 'opt'"):
        nc.save({"opt": {"lr": 0.1}}, tmp_path / "x.safetensors")


# ---------------------------------------------------------------- utils.data


def test_dataloader_batches_tuples_and_drops_last() -> None:
    ds = nc.utils.data.TensorDataset(nc.arange(10.0).reshape(5, 2), nc.arange(5))
    loader = nc.utils.data.DataLoader(ds, batch_size=2, drop_last=True)
    batches = list(loader)
    assert len(loader) == 2 and [tuple(x.shape) for x, _ in batches] == [(2, 2), (2, 2)]
    assert batches[1][1].tolist() == [2, 3]
    nc.manual_seed(0)
    shuffled = [
        int(y) for _, ys in nc.utils.data.DataLoader(ds, batch_size=5, shuffle=True) for y in ys
    ]
    assert sorted(shuffled) == [0, 1, 2, 3, 4]
    parts = nc.utils.data.random_split(ds, [0.6, 0.4])
    assert [len(p) for p in parts] == [3, 2]
    assert sorted(parts[0].indices + parts[1].indices) == [0, 1, 2, 3, 4]


# ---------------------------------------------------------------- nn additions


def test_new_modules_match_torch() -> None:
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    ln, tln = nn.LayerNorm(3), torch.nn.LayerNorm(3)
    np.testing.assert_allclose(
        ln(nc.tensor(x)).detach().numpy(), tln(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
    np.testing.assert_allclose(
        nn.ELU()(nc.tensor(x)).numpy(), torch.nn.ELU()(torch.tensor(x)).numpy(), atol=1e-6
    )
    y = np.array([0, 2, 1, 2])
    logp = torch.tensor(x).log_softmax(1)
    assert nn.NLLLoss()(nc.tensor(logp.numpy()), nc.tensor(y)).item() == pytest.approx(
        torch.nn.NLLLoss()(logp, torch.tensor(y)).item(), rel=1e-6
    )
    p = 1 / (1 + np.exp(-x))
    t = (x > 0).astype(np.float32)
    assert nn.BCELoss()(nc.tensor(p), nc.tensor(t)).item() == pytest.approx(
        torch.nn.BCELoss()(torch.tensor(p), torch.tensor(t)).item(), rel=1e-5
    )
    emb = nn.Embedding(5, 2)
    assert tuple(emb(nc.tensor([[1, 4]])).shape) == (1, 2, 2)
    md = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 1)})
    assert list(md.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"] and "a" in md
    seen: list[str] = []
    nn.Sequential(nn.Linear(1, 1), nn.ReLU()).apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential"]
    assert nn_mod.functional.relu is nc.functional.relu


def test_max_over_a_dim_unpacks_as_pytorch_and_reads_as_its_values() -> None:
    x = nc.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]).requires_grad_()
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    result = x.max(dim=1)
    np.testing.assert_array_equal(result.numpy(), [5.0, 7.0])  # DESIGN.md: max(dim) gives values
    result.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    assert x.min(dim=0).indices.tolist() == [0, 1, 0]
