"""Behaviour of Tensor and autograd: values, gradients, dtype rules, graph bookkeeping."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from neurocanvas.core import Tensor, cat, enable_grad, no_grad, stack, tensor
from neurocanvas.core.autograd import Function, is_grad_enabled, unbroadcast
from tests.core.gradcheck import check_grad

RNG = np.random.default_rng(1234)


def leaf(*shape: int, positive: bool = False) -> Tensor:
    data = RNG.standard_normal(shape)
    if positive:
        data = np.abs(data) + 0.5
    return Tensor(data, requires_grad=True)


# ---------------------------------------------------------------------------- dtype rules


def test_float64_numpy_input_stays_float64() -> None:
    assert Tensor(np.zeros(3)).dtype == np.float64


def test_lists_and_python_numbers_become_float32() -> None:
    assert Tensor([1, 2, 3]).dtype == np.float32
    assert Tensor(2).dtype == np.float32
    assert Tensor([[1.5, 2.0]]).shape == (1, 2)


def test_numpy_int_arrays_stay_int_for_class_targets() -> None:
    assert Tensor(np.array([0, 2, 1])).dtype == np.int64


def test_tensor_factory_infers_like_torch_tensor() -> None:
    assert tensor([1, 2]).dtype == np.int64
    assert tensor([1.0, 2]).dtype == np.float32
    assert tensor(np.ones(2)).dtype == np.float64
    assert tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_tensor_factory_copies_its_input() -> None:
    arr = np.ones(3)
    t = tensor(arr)
    arr[0] = 5
    assert t.detach().numpy()[0] == 1


def test_python_scalar_does_not_promote_float32() -> None:
    x = Tensor([1.0, 2.0])
    for y in (x * 2.5, 2.5 * x, x + 1, 1 - x, x / 3, 3 / x, x**2):
        assert y.dtype == np.float32


def test_float32_grad_stays_float32() -> None:
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    (x * 2.0).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


def test_integer_tensor_cannot_require_grad() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor(np.array([1, 2]), requires_grad=True)


def test_bad_data_type_is_named() -> None:
    with pytest.raises(TypeError, match="dict"):
        Tensor({"a": 1})


def test_double_and_float_cast_and_keep_gradients_flowing() -> None:
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])
    assert y.float().dtype == np.float32


# ---------------------------------------------------------------------------- conversion


def test_numpy_returns_a_host_copy() -> None:
    x = Tensor(np.arange(3.0))
    arr = x.detach().numpy()
    arr[0] = 100
    assert x.array[0] == 0


def test_item_and_shape_helpers() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3
    assert x.sum().item() == 15.0 and isinstance(x.sum().item(), float)
    assert x.device == "cpu" and len(x) == 2 and x.numel() == 6
    with pytest.raises(ValueError, match="one element"):
        x.item()


def test_to_same_device_returns_self() -> None:
    x = Tensor([1.0])
    assert x.to("cpu") is x


def test_to_unknown_device_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown device"):
        Tensor([1.0]).to("tpu")


def test_repr_mentions_grad() -> None:
    assert "requires_grad=True" in repr(leaf(2))
    assert "grad_fn" in repr(leaf(2) * 2)


# ---------------------------------------------------------------------------- gradients

BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 1, 4), (4,)),
    ((2, 3), (1, 3)),
    ((2, 1), (1, 3)),
    ((), (2,)),
]


@pytest.mark.parametrize("shapes", BINARY_SHAPES)
@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a / b,
        lambda a, b: a**b,
    ],
    ids=["add", "sub", "mul", "div", "pow"],
)
def test_binary_op_gradients_with_broadcasting(op, shapes) -> None:
    a = leaf(*shapes[0], positive=True)
    b = leaf(*shapes[1], positive=True)
    check_grad(op, a, b)


@pytest.mark.parametrize(
    "op",
    [
        lambda a: a + 2,
        lambda a: 2 - a,
        lambda a: a * 3,
        lambda a: 3 / a,
        lambda a: a**3,
        lambda a: a**0.5,
        lambda a: 2**a,
        lambda a: -a,
        lambda a: a.exp(),
        lambda a: a.log(),
        lambda a: a.sqrt(),
        lambda a: (a - 1).abs(),
        lambda a: a.tanh(),
        lambda a: a.sigmoid(),
        lambda a: (a - 1).relu(),
        lambda a: a.clip(0.8, 1.5),
        lambda a: a.clamp(min=1.0),
    ],
    ids=[
        "radd", "rsub", "rmul", "rdiv", "pow3", "pow_half", "rpow", "neg", "exp", "log",
        "sqrt", "abs", "tanh", "sigmoid", "relu", "clip", "clamp",
    ],
)  # fmt: skip
def test_unary_op_gradients(op) -> None:
    check_grad(op, leaf(3, 4, positive=True))


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
     ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 2))],
)  # fmt: skip
def test_matmul_gradients(sa, sb) -> None:
    check_grad(lambda a, b: a @ b, leaf(*sa), leaf(*sb))


def test_matmul_with_numpy_array_on_the_left() -> None:
    m = RNG.standard_normal((2, 3))
    x = leaf(3, 4)
    y = m @ x
    assert isinstance(y, Tensor)
    check_grad(lambda t: m @ t, x)


@pytest.mark.parametrize(
    "op",
    [
        lambda a: a.sum(),
        lambda a: a.sum(1),
        lambda a: a.sum((0, 2), keepdim=True),
        lambda a: a.mean(),
        lambda a: a.mean(-1),
        lambda a: a.mean((0, 1), keepdim=True),
        lambda a: a.max(),
        lambda a: a.max(1).values,
        lambda a: a.max(2, keepdim=True)[0],
        lambda a: a.min(0).values,
        lambda a: a.var(1),
        lambda a: a.var(),
        lambda a: a.std(2, keepdim=True),
    ],
)
def test_reduction_gradients(op) -> None:
    check_grad(op, leaf(2, 3, 4))


@pytest.mark.parametrize(
    "op",
    [
        lambda a: a.reshape(4, 6),
        lambda a: a.view(-1),
        lambda a: a.transpose(0, 2),
        lambda a: a.T,
        lambda a: a.permute(1, 2, 0),
        lambda a: a.flatten(1),
        lambda a: a.flatten(),
        lambda a: a.unsqueeze(1),
        lambda a: a.unsqueeze(-1).squeeze(-1),
        lambda a: a[1],
        lambda a: a[:, 1:3],
        lambda a: a[..., ::2],
        lambda a: a[None, 0, :, 1],
        lambda a: a[np.array([0, 1, 0])],
        lambda a: a[:, [2, 2, 0]],
        lambda a: a[Tensor(np.array([1, 1]))],
        lambda a: a[a.detach() > 0],
        lambda a: a.expand(3, 2, 3, 4),
    ],
)
def test_shape_and_indexing_gradients(op) -> None:
    check_grad(op, leaf(2, 3, 4))


def test_cat_and_stack_gradients() -> None:
    a, b, c = leaf(2, 3), leaf(2, 1), leaf(2, 3)
    check_grad(lambda a, b: cat([a, b], dim=1), a, b)
    check_grad(lambda a, c: stack([a, c], dim=1), a, c)
    check_grad(lambda a, c: stack([a, c], dim=-1), a, c)


def test_cat_rejects_mismatched_ranks() -> None:
    with pytest.raises(ValueError, match="dimensions"):
        cat([leaf(2, 3), leaf(3)])


def test_reused_inputs_accumulate_every_use() -> None:
    check_grad(lambda x: x * x, leaf(3))
    check_grad(lambda x: x + x, leaf(3))
    check_grad(lambda x: (x * 2 + x.exp()) * x, leaf(3))
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x + x + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_repeated_advanced_index_adds_up() -> None:
    x = Tensor(np.zeros(3), requires_grad=True)
    x[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 0, 1])


def test_a_small_network_gradient() -> None:
    x, w1, w2 = leaf(5, 3), leaf(3, 4), leaf(4, 2)

    def net(x, w1, w2):
        h = (x @ w1).tanh()
        return ((h @ w2).sigmoid() - 0.5).abs().mean(0)

    check_grad(net, x, w1, w2)


# ---------------------------------------------------------------------------- max details


def test_max_with_dim_returns_values_and_indices() -> None:
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]]))
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.detach().numpy(), [5, 7])
    np.testing.assert_array_equal(indices.detach().numpy(), [1, 0])
    assert x.max(dim=1).indices.dtype.kind == "i"
    assert x.max().item() == 7.0


def test_max_gradient_ties_split_evenly_for_full_reduction() -> None:
    x = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5])


def test_max_gradient_with_dim_goes_to_the_first_maximum() -> None:
    x = Tensor(np.array([[3.0, 1.0, 3.0]]), requires_grad=True)
    x.max(1).values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 0]])


def test_argmax() -> None:
    x = Tensor(np.array([[1.0, 5.0], [7.0, 0.0]]))
    np.testing.assert_array_equal(x.argmax(1).detach().numpy(), [1, 0])
    assert x.argmax().item() == 2


# ---------------------------------------------------------------------------- comparisons


def test_comparisons_return_boolean_tensors_without_grad() -> None:
    x = leaf(4)
    for r in (x > 0, x < 0, x >= 0, x <= 0, x == x, x != 0):
        assert isinstance(r, Tensor)
        assert r.dtype == np.bool_ and not r.requires_grad
    assert (x == x).detach().numpy().all()


def test_tensors_stay_hashable() -> None:
    x = leaf(2)
    assert {x: 1}[x] == 1


# ---------------------------------------------------------------------------- accumulation


def test_gradients_accumulate_across_backward_calls() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])
    assert x.grad is first  # accumulated into the same grad tensor, like PyTorch
    assert not x.grad.requires_grad


def test_leaf_gradients_never_alias_each_other() -> None:
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_allclose(b.grad.numpy(), [1, 1])


def test_zero_grad_by_setting_none_then_recomputing() -> None:
    x = Tensor(np.array([1.0]), requires_grad=True)
    (x * 2).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5])


def test_intermediate_tensors_get_no_grad() -> None:
    x = leaf(3)
    y = x * 2
    y.sum().backward()
    assert y.grad is None and x.grad is not None


def test_backward_on_non_scalar_needs_a_gradient() -> None:
    x = leaf(3)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(Tensor(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])


def test_backward_gradient_shape_is_checked() -> None:
    with pytest.raises(RuntimeError, match="shape"):
        (leaf(3) * 2).backward(np.ones(4))


def test_backward_without_grad_explains() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(2)).sum().backward()


def test_second_backward_through_freed_graph_is_refused() -> None:
    x = leaf(3)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward() -> None:
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0])


def test_only_needed_gradients_are_computed() -> None:
    calls: list[tuple[bool, ...]] = []

    class Spy(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, g):
            calls.append(self.needs_input_grad)
            return (g if self.needs_input_grad[0] else None, None)

    x = leaf(2)
    c = Tensor(np.ones(2))
    Spy.apply(x, c).sum().backward()
    assert calls == [(True, False)]
    assert c.grad is None


def test_branches_without_grad_are_not_recorded() -> None:
    c = Tensor(np.ones(2))
    y = c * 2 + 1
    assert not y.requires_grad and y.grad_fn is None


# ---------------------------------------------------------------------------- graph memory


def test_saved_context_is_freed_after_backward() -> None:
    x = leaf(100)
    y = x.exp()
    ctx = y.grad_fn
    saved = weakref.ref(ctx.saved[0].base if ctx.saved[0].base is not None else ctx.saved[0])
    z = y.sum()
    del y
    z.backward()
    assert ctx.saved is None and ctx.inputs is None and not ctx.__dict__
    gc.collect()
    assert saved() is None


def test_long_chain_of_ten_thousand_ops_backpropagates() -> None:
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-10)


# ---------------------------------------------------------------------------- grad mode


def test_no_grad_records_nothing() -> None:
    x = leaf(3)
    with no_grad():
        y = x * 2
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad() -> None:
    x = leaf(3)
    with no_grad(), enable_grad():
        y = x * 2
    assert y.requires_grad


def test_no_grad_as_decorator_restores_mode_on_error() -> None:
    @no_grad()
    def f(t):
        assert not is_grad_enabled()
        raise KeyError("boom")

    with pytest.raises(KeyError):
        f(leaf(1))
    assert is_grad_enabled()


def test_detach_shares_data_but_cuts_history() -> None:
    x = leaf(3)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = x.detach()
    assert y.array is x.array


def test_requires_grad_toggle() -> None:
    x = Tensor(np.ones(2))
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


def test_setitem_on_a_tensor_that_requires_grad_is_refused() -> None:
    x = leaf(3)
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 1.0
    with no_grad():
        x[0] = 1.0
    assert x.array[0] == 1.0


# ---------------------------------------------------------------------------- helpers


def test_unbroadcast_sums_leading_and_stretched_dims() -> None:
    g = np.ones((2, 3, 4))
    assert unbroadcast(g, (3, 1)).tolist() == [[8.0]] * 3
    assert unbroadcast(g, ()).item() == 24.0
    assert unbroadcast(g, (2, 3, 4)) is g


def test_reshape_error_names_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        leaf(2, 3).reshape(4, 2)


def test_squeeze_of_a_non_unit_dim_is_a_no_op_like_torch() -> None:
    x = leaf(2, 3)
    assert x.squeeze(0) is x
    assert leaf(1, 3, 1).squeeze().shape == (3,)


# ---------------------------------------------------------------------------- torch parity

TORCH_OPS = {
    "broadcast_arith": lambda a, b: ((a * b + a / (b * b + 1)) - b**2).sum(-1),
    "matmul_batched": lambda a, b: a @ b.transpose(1, 2),
    "reductions": lambda a, b: a.mean((0, 2)) + a.sum(1).max() - b.var(1).sum(),
    "max_dim": lambda a, b: a.max(1).values * b.min(1).values,
    "unary": lambda a, b: (a.exp() + b.abs().sqrt() + a.tanh() * b.sigmoid()).sum(0),
    "log_relu_clip": lambda a, b: (a.abs() + 1).log() + b.relu() - a.clamp(-0.5, 0.5),
    "shapes": lambda a, b: a.permute(2, 0, 1).flatten(1) @ b.T.reshape(6, 4),
    "indexing": lambda a, b: a[:, 1:, ::2] * b[1][None, :, None].unsqueeze(-1).squeeze(-1),
    "advanced_index": lambda a, b: a[[0, 1, 1], [2, 2, 0]].sum(1) + b.flatten()[[3, 3, 5]],
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(TORCH_OPS))
def test_tensor_ops_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    fn = TORCH_OPS[name]
    r = np.random.default_rng(len(name))
    arrays = [r.standard_normal((2, 3, 4)), r.standard_normal((2, 3, 4))]
    if name == "shapes":
        arrays[1] = r.standard_normal((6, 4))
    if name == "indexing":
        arrays[1] = r.standard_normal((2, 2))
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out, ref = fn(*ours), fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = r.standard_normal(out.shape)
    out.backward(Tensor(v))
    ref.backward(torch.tensor(v))
    for mine, t in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_function_apply_rejects_non_tensor_positional_arguments() -> None:
    from neurocanvas.core._ops import MulBackward0

    with pytest.raises(TypeError, match="MulBackward0.apply takes Tensors.*ndarray"):
        MulBackward0.apply(leaf(2), np.ones(2))


def test_grad_mode_is_per_thread() -> None:
    import threading

    seen: list[bool] = []
    with no_grad():
        worker = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]  # the training thread keeps recording while the GUI evaluates
