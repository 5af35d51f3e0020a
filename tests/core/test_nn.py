"""nn modules: gradients against finite differences, PyTorch shapes/init/keys, modes, loading."""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest

from neurocanvas.core import Tensor, manual_seed, nn
from tests.core.gradcheck import check_grad


# ---------------------------------------------------------------------------- helpers
def check_module_grads(module: nn.Module, x: np.ndarray, seed: int | None = None, **call_kw):
    """Check the input's and every parameter's gradient against central finite differences.

    The parameters are handed to ``check_grad`` as inputs so that it perturbs them in place;
    ``seed`` reseeds before every forward (dropout must draw the same mask each time).
    """
    module.double()
    xt = Tensor(x.astype(np.float64), requires_grad=True)
    params = list(module.parameters())

    def fn(inp: Tensor, *_params: Tensor) -> Tensor:
        if seed is not None:
            manual_seed(seed)
        return module(inp, **call_kw)

    assert check_grad(fn, xt, *params)
    for name, p in module.named_parameters():
        assert p.grad is not None, f"no gradient reached {name}"


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# ---------------------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: nn.Linear(4, 3), (5, 4)),
        (lambda: nn.Linear(4, 3, bias=False), (2, 4)),
        (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
        (lambda: nn.Conv2d(2, 2, (2, 3), stride=2, dilation=1, bias=False), (1, 2, 6, 7)),
        (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
        (lambda: nn.AvgPool2d(2, stride=1), (1, 2, 4, 4)),
        (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 4, 4)),
        (lambda: nn.Flatten(), (2, 3, 2, 2)),
        (lambda: nn.ReLU(), (4, 5)),
        (lambda: nn.LeakyReLU(0.2), (4, 5)),
        (lambda: nn.GELU(), (4, 5)),
        (lambda: nn.GELU(approximate="tanh"), (4, 5)),
        (lambda: nn.Sigmoid(), (4, 5)),
        (lambda: nn.Tanh(), (4, 5)),
        (lambda: nn.Softmax(dim=1), (3, 4)),
        (lambda: nn.LogSoftmax(dim=-1), (3, 4)),
        (lambda: nn.Identity(), (3, 4)),
        (lambda: nn.BatchNorm1d(3), (6, 3)),
        (lambda: nn.BatchNorm1d(3), (4, 3, 5)),
        (lambda: nn.BatchNorm2d(2), (3, 2, 3, 3)),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), (5, 3)),
    ],
    ids=lambda v: "" if callable(v) else "x".join(map(str, v)),
)
def test_module_gradients_match_finite_differences(make, shape):
    manual_seed(0)
    check_module_grads(make(), rand(*shape))


def test_batchnorm_eval_mode_gradients_use_running_stats():
    manual_seed(0)
    bn = nn.BatchNorm1d(3)
    bn.running_mean.array[...] = [0.5, -1.0, 2.0]
    bn.running_var.array[...] = [2.0, 0.5, 1.5]
    bn.eval()
    check_module_grads(bn, rand(4, 3))


def test_dropout_gradient_with_fixed_seed():
    check_module_grads(nn.Dropout(0.4), rand(6, 5), seed=3)


@pytest.mark.parametrize(
    "loss, target",
    [
        (nn.MSELoss(), rand(4, 3, seed=5)),
        (nn.L1Loss(reduction="sum"), rand(4, 3, seed=5)),
        (nn.HuberLoss(delta=0.5), rand(4, 3, seed=5)),
        (nn.CrossEntropyLoss(), np.array([0, 2, 1, 2])),
        (nn.BCEWithLogitsLoss(), (rand(4, 3, seed=5) > 0).astype(np.float64)),
    ],
    ids=lambda v: type(v).__name__,
)
def test_loss_gradients_match_finite_differences(loss, target):
    check_module_grads(loss, rand(4, 3), target=Tensor(target))


# ---------------------------------------------------------------------------- shapes and init
def test_linear_shapes_and_pytorch_init_bounds():
    manual_seed(0)
    layer = nn.Linear(400, 30)
    assert layer.weight.shape == (30, 400) and layer.bias.shape == (30,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.array).max() <= bound
    # U(-b, b) has standard deviation b / sqrt(3); 12,000 draws pin it within a few percent.
    assert layer.weight.array.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    assert layer(Tensor(np.zeros((7, 400), np.float32))).shape == (7, 30)


def test_conv_shapes_and_init_bounds_use_receptive_field():
    manual_seed(0)
    conv = nn.Conv2d(3, 8, 5, stride=2, padding=2)
    assert conv.weight.shape == (8, 3, 5, 5) and conv.bias.shape == (8,)
    bound = 1 / math.sqrt(3 * 25)
    assert np.abs(conv.weight.array).max() <= bound
    assert np.abs(conv.weight.array).max() > 0.9 * bound
    assert np.abs(conv.bias.array).max() <= bound
    assert conv(Tensor(np.zeros((2, 3, 9, 9), np.float32))).shape == (2, 8, 5, 5)


def test_same_seed_gives_same_weights():
    manual_seed(42)
    a = nn.Linear(5, 5)
    manual_seed(42)
    b = nn.Linear(5, 5)
    np.testing.assert_array_equal(a.weight.array, b.weight.array)


@pytest.mark.parametrize(
    "fn, check",
    [
        (lambda t: nn.init.zeros_(t), lambda a: np.all(a == 0)),
        (lambda t: nn.init.ones_(t), lambda a: np.all(a == 1)),
        (lambda t: nn.init.constant_(t, 0.3), lambda a: np.allclose(a, 0.3)),
        (lambda t: nn.init.uniform_(t, -0.1, 0.2), lambda a: a.min() >= -0.1 and a.max() <= 0.2),
        (lambda t: nn.init.normal_(t, 0, 0.05), lambda a: abs(a.std() - 0.05) < 0.005),
        (
            lambda t: nn.init.xavier_uniform_(t),
            lambda a: np.abs(a).max() <= math.sqrt(6 / (200 + 100)),
        ),
        (
            lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"),
            lambda a: np.abs(a).max() <= math.sqrt(6 / 200),
        ),
        (
            lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"),
            lambda a: abs(a.std() - math.sqrt(2 / 200)) < 0.005,
        ),
    ],
)
def test_init_functions_fill_in_place(fn, check):
    manual_seed(0)
    p = nn.Parameter(np.empty((100, 200), np.float32))
    arr = p.array
    assert fn(p) is p
    assert p.array is arr and check(arr)


def test_init_refuses_1d_fan():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3)))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nn.Linear(0, 3), "in_features"),
        (lambda: nn.Conv2d(1, 2, 0), "kernel_size"),
        (lambda: nn.Dropout(1.5), "p must be"),
        (lambda: nn.Softmax(), "explicit dim"),
        (lambda: nn.MSELoss(reduction="avg"), "reduction"),
        (lambda: nn.GELU(approximate="fast"), "approximate"),
    ],
)
def test_bad_constructor_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_flatten_ranges():
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(2)(x).shape == (2, 3, 20)
    with pytest.raises(ValueError, match="does not fit"):
        nn.Flatten(3, 1)(x)


def test_batchnorm_rejects_wrong_channel_count():
    with pytest.raises(ValueError, match=r"3 channels.*\(4, 2\)"):
        nn.BatchNorm1d(3)(Tensor(np.zeros((4, 2))))


# ---------------------------------------------------------------------------- modes
def test_batchnorm_running_stats_update_in_train_and_are_used_in_eval():
    bn = nn.BatchNorm1d(2, momentum=0.1).double()
    x = rand(50, 2) * np.array([2.0, 0.5]) + np.array([1.0, -3.0])
    bn(Tensor(x))
    np.testing.assert_allclose(bn.running_mean.array, 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.array, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-12)
    assert int(bn.num_batches_tracked.array) == 1
    bn.eval()
    y = bn(Tensor(x)).array
    expected = (x - bn.running_mean.array) / np.sqrt(bn.running_var.array + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-10)
    assert int(bn.num_batches_tracked.array) == 1


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None).double()
    batches = [rand(8, 1, seed=s) for s in range(3)]
    for b in batches:
        bn(Tensor(b))
    np.testing.assert_allclose(bn.running_mean.array, np.mean([b.mean() for b in batches]))


def test_dropout_train_scales_survivors_and_eval_is_identity():
    manual_seed(0)
    drop = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 50)))
    y = drop(x).array
    assert set(np.unique(y)) <= {0.0, 1 / 0.75}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.02)
    drop.eval()
    assert drop(x) is x


def test_train_and_eval_propagate_to_children():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


# ---------------------------------------------------------------------------- registration
class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.out = nn.Linear(4, 2)
        self.scale = 2.0  # a plain attribute, not registered

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.norm(self.hidden(x)).relu()) * self.scale


def test_state_dict_keys_and_values_match_pytorch_layout():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten())
    sd = model.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    assert sd["1.num_batches_tracked"].dtype == np.int64
    sd["0.weight"][...] = 7  # a copy: editing it leaves the model alone
    assert not np.any(model[0].weight.array == 7)


def test_named_parameters_children_and_modules():
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "hidden.weight",
        "hidden.bias",
        "norm.weight",
        "norm.bias",
        "out.weight",
        "out.bias",
    ]
    assert [n for n, _ in model.named_children()] == ["hidden", "norm", "out"]
    assert [n for n, _ in model.named_modules()] == ["", "hidden", "norm", "out"]
    assert len(list(model.parameters())) == 6
    assert [n for n, _ in model.named_buffers()] == [
        "norm.running_mean",
        "norm.running_var",
        "norm.num_batches_tracked",
    ]


def test_shared_module_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2


def test_assigning_a_plain_tensor_to_a_parameter_slot_is_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = Tensor(np.zeros((2, 2)))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_setattr_before_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_sequential_indexing_len_slicing_and_errors():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert list(model[1:].state_dict()) == ["2.weight", "2.bias"]  # keys kept, as in torch
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    with pytest.raises(TypeError, match="argument 1"):
        nn.Sequential(nn.ReLU(), "relu")
    named = nn.Sequential(OrderedDict(fc=nn.Linear(1, 1)))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]


def test_module_list_registers_children():
    layers = nn.ModuleList([nn.Linear(1, 2), nn.Linear(2, 1)])
    assert len(layers) == 2 and list(layers.state_dict())[0] == "0.weight"
    assert layers[1].in_features == 2


def test_repr_reads_like_torch():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        ")"
    )


def test_zero_grad_set_to_none_and_to_zero():
    layer = nn.Linear(2, 1)
    layer(Tensor(np.ones((3, 2), np.float32))).sum().backward()
    assert layer.weight.grad is not None
    layer.zero_grad(set_to_none=False)
    assert np.all(layer.weight.grad.array == 0)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_double_float_and_to_keep_parameter_identity():
    model = TwoLayer()
    params = list(model.parameters())
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.norm.running_mean.dtype == np.float64
    assert model.norm.num_batches_tracked.dtype == np.int64  # integers are not cast
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model.to("cpu") is model and list(model.parameters())[0] is params[0]
    with pytest.raises(ValueError, match="unknown device"):
        model.to("tpu")


# ---------------------------------------------------------------------------- loading
def test_load_state_dict_round_trip_casts_to_module_dtype():
    manual_seed(0)
    src = TwoLayer()
    src(Tensor(rand(8, 3).astype(np.float32)))  # move the running stats off their defaults
    dst = TwoLayer().double()
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in dst.state_dict().items():
        np.testing.assert_allclose(value, src.state_dict()[key], rtol=1e-7)
    assert dst.hidden.weight.dtype == np.float64
    x = rand(4, 3)
    src.eval()
    dst.eval()
    np.testing.assert_allclose(dst(Tensor(x)).array, src(Tensor(x.astype(np.float32))).array, 1e-5)


def test_load_state_dict_accepts_tensors():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": Tensor(np.array([[1.0, 2.0]])), "bias": np.array([3.0])})
    np.testing.assert_array_equal(layer.weight.array, [[1, 2]])
    assert layer.weight.dtype == np.float32


def test_load_state_dict_reports_missing_and_unexpected_keys():
    layer = nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match=r"missing key\(s\): 'bias'.*\n.*unexpected.*'extra'"):
        layer.load_state_dict({"weight": np.zeros((1, 2)), "extra": np.zeros(1)})
    result = layer.load_state_dict({"weight": np.zeros((1, 2)), "extra": 1}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert np.all(layer.weight.array == 0)


def test_load_state_dict_shape_mismatch_names_key_and_both_shapes_and_changes_nothing():
    layer = nn.Linear(2, 3)
    before = layer.weight.array.copy()
    sd = {"weight": np.ones((3, 2)), "bias": np.zeros(4)}
    with pytest.raises(RuntimeError, match=r"'bias'.*\(4,\).*\(3,\)"):
        layer.load_state_dict(sd, strict=False)
    np.testing.assert_array_equal(layer.weight.array, before)


# ---------------------------------------------------------------------------- torch parity
def _torch_model(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 3, 3, padding=1),
        tnn.BatchNorm2d(3),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(3, 4, 3, stride=2, dilation=1),
        tnn.GELU(),
        tnn.AdaptiveAvgPool2d(1),
        tnn.Flatten(),
        tnn.Linear(4, 5),
        tnn.LeakyReLU(0.1),
        tnn.BatchNorm1d(5),
        tnn.Dropout(0.3),
        tnn.Linear(5, 3),
        tnn.LogSoftmax(dim=1),
    )


def _our_model():
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, stride=2, dilation=1),
        nn.GELU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 5),
        nn.LeakyReLU(0.1),
        nn.BatchNorm1d(5),
        nn.Dropout(0.3),
        nn.Linear(5, 3),
        nn.LogSoftmax(dim=1),
    )


@pytest.mark.torch
def test_outputs_grads_and_state_dict_round_trip_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = _torch_model(torch).double()
    ours = _our_model().double()
    theirs_sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs_sd)
    ours.load_state_dict(theirs_sd)
    x = rand(6, 1, 8, 8)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        if mode == "train":  # dropout masks differ between the engines: compare without it
            ours[11].p = theirs[11].p = 0.0
        y_ours = ours(Tensor(x))
        y_theirs = theirs(torch.from_numpy(x))
        np.testing.assert_allclose(y_ours.array, y_theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
        if mode == "train":
            y_ours[:, 0].sum().backward()
            y_theirs[:, 0].sum().backward()
            for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
                np.testing.assert_allclose(
                    p.grad.array, tp.grad.numpy(), rtol=1e-8, atol=1e-11, err_msg=name
                )
    # Running statistics updated by the training pass match too, and load back into torch.
    back = _torch_model(torch).double()
    back.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for key, value in back.state_dict().items():
        np.testing.assert_allclose(
            value.detach().numpy(), theirs.state_dict()[key].detach().numpy(), rtol=1e-12
        )


def test_grouped_conv_has_pytorch_shapes_and_gradients():
    conv = nn.Conv2d(4, 6, 3, 1, 1, 1, 2)  # positional like torch: groups is the 7th argument
    assert conv.weight.shape == (6, 2, 3, 3)
    assert "groups=2" in repr(conv)
    check_module_grads(conv, rand(2, 4, 5, 5))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=4)


def test_forward_hook_sees_output_and_is_removed_by_its_handle():
    lin = nn.Linear(2, 3)
    seen = []
    handle = lin.register_forward_hook(lambda mod, inputs, out: seen.append((mod, out.shape)))
    lin(Tensor(np.ones((4, 2), dtype=np.float32)))
    handle.remove()
    lin(Tensor(np.ones((4, 2), dtype=np.float32)))
    assert seen == [(lin, (4, 3))]


def test_forward_hook_that_returns_a_value_replaces_the_output():
    relu = nn.ReLU()
    relu.register_forward_hook(lambda mod, inputs, out: out * 0)
    out = relu(Tensor(np.ones((2, 2), dtype=np.float32)))
    assert np.all(out.detach().numpy() == 0)


def test_conv2d_layer_takes_pytorchs_padding_strings():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8))
    for kernel, dilation in ((3, 1), (4, 1), (3, 2), ((2, 5), 1)):
        same = nn.Conv2d(3, 4, kernel, padding="same", dilation=dilation).double()
        assert same(Tensor(x)).shape == (2, 4, 9, 8)
        assert "padding='same'" in repr(same)
    valid = nn.Conv2d(3, 4, 3, padding="valid").double()
    assert valid(Tensor(x)).shape == (2, 4, 7, 6)


def test_conv2d_layer_refuses_same_padding_with_a_stride_and_unknown_strings():
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be 'same', 'valid'.*'full'"):
        nn.Conv2d(3, 4, 3, padding="full")


@pytest.mark.torch
def test_conv2d_layer_same_padding_matches_pytorch_for_even_kernels():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    ours = nn.Conv2d(3, 5, (4, 2), padding="same", dilation=(1, 2))
    theirs = torch.nn.Conv2d(3, 5, (4, 2), padding="same", dilation=(1, 2))
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.numpy()))
        theirs.bias.copy_(torch.from_numpy(ours.bias.numpy()))
    with warnings.catch_warnings():  # PyTorch notes it pads a copy for even kernels
        warnings.simplefilter("ignore", UserWarning)
        expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.torch
def test_cross_entropy_loss_module_takes_pytorchs_weight_ignore_index_and_label_smoothing():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4))
    t = np.array([0, 3, -100, 2, 1, 3])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    ours = nn.CrossEntropyLoss(weight=Tensor(w), ignore_index=-100, label_smoothing=0.1)
    theirs = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(w), ignore_index=-100, label_smoothing=0.1
    )
    xt = Tensor(x, requires_grad=True)
    loss = ours(xt, Tensor(t))
    loss.backward()
    xr = torch.tensor(x, requires_grad=True)
    expected = theirs(xr, torch.tensor(t))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert nn.CrossEntropyLoss().state_dict() == {}  # no weight: nothing saved, as PyTorch


def test_cross_entropy_loss_module_refuses_bad_smoothing_and_the_deprecated_arguments():
    loss = nn.CrossEntropyLoss(label_smoothing=1.5)  # checked where it is used, as PyTorch
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        loss(Tensor(np.zeros((2, 3))), Tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match="size_average and reduce are deprecated"):
        nn.CrossEntropyLoss(size_average=True)
