"""The code of the five seed tutorials runs with only the import lines swapped.

Each snippet is the tutorial's own text (MNIST replaced by small arrays of the same shapes).
``swap`` rewrites the ``torch`` import lines to ``neurocanvas.core``; the same snippet then runs
in PyTorch, with the same initial weights and data, and the numbers are compared. The
tutorials' own mistakes (``los_function``, ``images``, a 3-channel input to a 1-channel
convolution, an MSELoss between (N, 10) outputs and (N,) labels) fail in both.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def swap(src: str) -> str:
    """Only the import lines change: ``torch`` becomes ``neurocanvas.core``."""
    src = re.sub(r"^(\s*)import torch$", r"\1import neurocanvas.core as torch", src, flags=re.M)
    src = re.sub(
        r"^(\s*)from torch(\S*) import", r"\1from neurocanvas.core\2 import", src, flags=re.M
    )
    return re.sub(
        r"^(\s*)import torch\.(\S+) as", r"\1import neurocanvas.core.\1\2 as", src, flags=re.M
    )


def run(src: str, ours: bool, ns: dict[str, Any] | None = None) -> dict[str, Any]:
    ns = {} if ns is None else ns
    exec(swap(src) if ours else src, ns)  # noqa: S102 - the point: run the tutorial's text
    return ns


def both(src: str, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return run(src, True, dict(extra)), run(src, False, dict(extra))


def copy_weights(ours: Any, theirs: Any) -> None:
    """Give the torch model our initial weights so that both runs compute the same thing."""
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})


def test_swap_changes_only_import_lines() -> None:
    src = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\nx = torch.ones(2)\n"
    assert swap(src) == (
        "import neurocanvas.core as torch\nimport neurocanvas.core.nn.functional as F\n"
        "from neurocanvas.core import nn\nx = torch.ones(2)\n"
    )


# ------------------------------------------------------------------ 000: tensors and autograd

TENSORS = """
import torch
tensor_uninitialized = torch.Tensor(3, 3)
tensor_rand = torch.rand(3, 3)
x = torch.Tensor([[1, 2, 3],
[4, 5, 6]])
tensor_add = torch.add(x, x)
tensor= torch.Tensor([[1, 2, 3],
[4, 5, 6]])
flag = tensor.requires_grad
shown = repr(tensor.requires_grad_())
grad_before = tensor.grad
mean_tensor = tensor.mean()
mean_shown = repr(mean_tensor)
mean_tensor.backward()
grad_shown = repr(tensor.grad)
"""


def test_tensors_and_gradients_tutorial_prints_what_pytorch_prints() -> None:
    ours, theirs = both(TENSORS)
    assert tuple(ours["tensor_uninitialized"].shape) == (3, 3)
    r = ours["tensor_rand"].numpy()
    assert r.shape == (3, 3) and r.dtype == np.float32 and (0 <= r).all() and (r < 1).all()
    np.testing.assert_array_equal(ours["tensor_add"].numpy(), theirs["tensor_add"].numpy())
    assert ours["flag"] is theirs["flag"] is False
    assert ours["grad_before"] is None and theirs["grad_before"] is None
    for key in ("shown", "mean_shown", "grad_shown"):
        assert ours[key] == theirs[key]
    assert ours["mean_shown"] == "tensor(3.5000, grad_fn=<MeanBackward0>)"


# ------------------------------------------------------------------ 000: the CNN on MNIST

CNN_MODEL = """
import torch
from torch import nn
import torch.nn.functional as F
import numpy as np
class My_CNN(nn.Module):
    def __init__(self):
        super(My_CNN, self).__init__()
        self.conv1 = nn.Conv2d(1, 64, kernel_size=(3, 3), padding=1)
        self.conv2 = nn.Conv2d(64, 64, kernel_size=(3, 3), padding=1)
        self.avg_pool = nn.AvgPool2d(28)
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 10)
    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.avg_pool(x)
        x = x.view(-1, 64)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        x = F.softmax(x)
        return x
"""

CNN_DATA = """
from torch.utils.data import DataLoader
from torch.utils.data.sampler import SubsetRandomSampler
mnist = MNIST("data", download=True, train=True)
split = int(0.8 * len(mnist))
index_list = list(range(len(mnist)))
train_idx, valid_idx = index_list[:split], index_list[split:]
train = SubsetRandomSampler(train_idx)
valid = SubsetRandomSampler(valid_idx)
train_loader = DataLoader(mnist, batch_size=256, sampler=train)
valid_loader = DataLoader(mnist, batch_size=256, sampler=valid)
"""

CNN_TRAIN = """
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
loss_function = nn.CrossEntropyLoss()
epochs = 1
for epoch in range(epochs):
    train_loss, valid_loss = [], []
    for data, target in train_loader:
        outputs = model(data)
        loss = loss_function(outputs, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_loss.append(loss.item())
    for data, target in valid_loader:
        outputs = model(data)
        loss = los_function(outputs, target)
        valid_loss.append(loss.item())
"""

CNN_VALID = """
with torch.no_grad():
    correct = 0
    total = 0
    for data, target in valid_loader:
        outputs = model(images)
        _, predicted = torch.max(outputs.data, 1)
"""


def mnist_class(engine: Any, n: int = 20) -> type:
    """MNIST's interface (image tensor (1, 28, 28) in [0, 1], int label) on small arrays."""
    rng = np.random.default_rng(0)
    images = rng.random((n, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, n)

    class MNIST:
        def __init__(self, root: str, download: bool = False, train: bool = True) -> None:
            pass

        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int) -> tuple[Any, int]:
            return engine.from_numpy(images[i]), int(labels[i])

    return MNIST


def test_cnn_tutorial_trains_like_pytorch_and_stops_on_its_own_typos() -> None:
    import neurocanvas.core as nc

    ours = run(CNN_MODEL, True, {"MNIST": mnist_class(nc)})
    theirs = run(CNN_MODEL, False, {"MNIST": mnist_class(torch)})
    with pytest.warns(UserWarning):  # F.softmax without dim: PyTorch's implicit-dim warning
        torch_out = None
        model_ours, model_theirs = ours["My_CNN"](), theirs["My_CNN"]()
        copy_weights(model_ours, model_theirs)
        x = np.random.default_rng(1).random((4, 1, 28, 28), dtype=np.float32)
        torch_out = model_theirs(torch.from_numpy(x))
    with pytest.warns(UserWarning):
        our_out = model_ours(nc.from_numpy(x))
    np.testing.assert_allclose(our_out.detach().numpy(), torch_out.detach().numpy(), atol=1e-6)
    for ns, model in ((ours, model_ours), (theirs, model_theirs)):
        run(CNN_DATA, ns is ours, ns)
        ns["model"] = model
        assert len(ns["train_loader"]) == 1 and len(ns["valid_loader"]) == 1
        with pytest.warns(UserWarning), pytest.raises(NameError, match="los_function"):
            run(CNN_TRAIN, ns is ours, ns)
        assert len(ns["train_loss"]) == 1 and np.isfinite(ns["train_loss"][0])
        with pytest.raises(NameError, match="images"):
            run(CNN_VALID, ns is ours, ns)
    # one Adam step on the same 16 samples (in their own random orders) gives the same loss
    assert ours["train_loss"][0] == pytest.approx(theirs["train_loss"][0], abs=1e-5)


# ------------------------------------------------------------------ 001: the MLP on MNIST

MLP = """
import numpy as np
from tqdm import trange
np.set_printoptions(suppress=True)
import torch
import torch.nn as nn
torch.set_printoptions(sci_mode=False)
class ANet(torch.nn.Module):
    def __init__(self):
        super(ANet,self).__init__()
        self.l1 = nn.Linear(784,128)
        self.act = nn.ReLU()
        self.l2 = nn.Linear(128,10)
    def forward(self,x):
        x = self.l1(x)
        x = self.act(x)
        x = self.l2(x)
        return x
model = ANet()
"""

MLP_TRAIN = """
first = model(torch.tensor(X_train[0:10].reshape((-1,28*28))).float())
epochs = 10
batch_size = 32
loss_fn = nn.CrossEntropyLoss()
optim = torch.optim.Adam(model.parameters())
losses,accs = [],[]
for i in (t:=trange(epochs, disable=True)):
    samp = np.random.randint(0,X_train.shape[0],size=(batch_size))
    X = torch.tensor(X_train[samp].reshape((-1,28*28))).float()
    Y = torch.tensor(Y_train[samp]).long()
    optim.zero_grad()
    out = model(X)
    pred = torch.argmax(out,dim=1)
    acc = (pred == Y).float().mean()
    loss = loss_fn(out,Y)
    loss.backward()
    optim.step()
    loss, acc = loss.item(),acc.item()
    losses.append(loss)
    accs.append(acc)
    t.set_description(f"loss:{loss:0.2f}, acc: {acc:0.2f}")
"""


def test_mlp_tutorial_gives_pytorchs_losses_and_accuracies() -> None:
    rng = np.random.default_rng(0)
    data = {
        "X_train": rng.integers(0, 256, (200, 28, 28)).astype(np.uint8),
        "Y_train": rng.integers(0, 10, 200).astype(np.uint8),
    }
    ours, theirs = run(MLP, True, dict(data)), run(MLP, False, dict(data))
    copy_weights(ours["model"], theirs["model"])
    try:
        for ns in (ours, theirs):
            np.random.seed(3)  # noqa: NPY002 - the tutorial draws from the global generator
            run(MLP_TRAIN, ns is ours, ns)
    finally:
        torch.set_printoptions(profile="default")
    np.testing.assert_allclose(
        ours["first"].detach().numpy(), theirs["first"].detach().numpy(), rtol=1e-4, atol=1e-3
    )
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(ours["accs"], theirs["accs"])


# ------------------------------------------------------------------ 002: regression, lr

REGRESSION = """
import torch
import torch.nn as nn
import torch.nn.functional as F
class LinearRegression(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
    def forward(self, x):
        return self.linear(x)
class GeneralFit(nn.Module):
    def __init__(self, n_in, n_out, n_hidden=100):
        super().__init__()
        self.input_layer = nn.Linear(n_in, n_hidden)
        self.hidden_layer = nn.Linear(n_hidden, n_hidden)
        self.output_layer = nn.Linear(n_hidden, n_out)
    def forward(self, x):
        x = F.relu(self.input_layer(x))
        x = F.relu(self.hidden_layer(x))
        return self.output_layer(x)
def fit(model, inputs, targets, criterion, optimizer, epochs):
    loss_history, preds = [], []
    for epoch in range(epochs):
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_history.append(loss.item())
        preds.append(outputs.detach().numpy())
    return loss_history, preds
x = torch.linspace(-1, 1, 100)
noise = torch.from_numpy(NOISE)
x_train = x.unsqueeze(-1)
y_train = (2 * x + 1 + noise * (x + 1)).unsqueeze(-1)
x2_train = torch.stack([x, x**2], dim=1)
y2_train = (3 * x**2 + 2 * x + 1 + noise).unsqueeze(-1)
"""


@pytest.mark.parametrize(("model_src", "lr", "features"), [
    ("LinearRegression(1, 1)", 0.1, "x_train"),
    ("LinearRegression(2, 1)", 0.1, "x2_train"),
    ("GeneralFit(1, 1)", 0.01, "x_train"),
    ("GeneralFit(1, 1)", 1.0, "x_train"),
])  # fmt: skip
def test_regression_tutorial_and_learning_rates_match_pytorch(
    model_src: str, lr: float, features: str
) -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, 100).astype(np.float32)
    ours, theirs = both(REGRESSION, NOISE=noise)
    train = f"""
model = {model_src}
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr={lr})
targets = y2_train if "{features}" == "x2_train" else y_train
"""
    run(train, True, ours)
    run(train, False, theirs)
    copy_weights(ours["model"], theirs["model"])
    step = (
        f"loss_history, preds = fit(model, {features}, targets, criterion, optimizer, 30)\n"
        f"params = list(model.parameters())\nmodel.eval()\nye = model({features})\n"
    )
    run(step, True, ours)
    run(step, False, theirs)
    np.testing.assert_allclose(ours["loss_history"], theirs["loss_history"], rtol=2e-3, atol=1e-5)
    for a, b in zip(ours["params"], theirs["params"]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=2e-3, atol=1e-4)
    # The tutorial's point: PyTorch refuses numpy() before detach(). Our contract (DESIGN.md:
    # numpy() always returns the host array) keeps it working; the tutorial's fix, detach()
    # first, gives the same values in both.
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        theirs["ye"].numpy()
    np.testing.assert_allclose(
        ours["ye"].numpy(), theirs["ye"].detach().numpy(), rtol=2e-3, atol=1e-4
    )


# ------------------------------------------------------------------ 003: nn.Module and the loop

NET = """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return x
net = Net()
"""

NET_LOOP = """
from torch import optim
compute_loss = nn.MSELoss()
optimizer = optim.SGD(net.parameters(), lr = 0.001, momentum = 0.9)
history = []
for step in range(3):
    optimizer.zero_grad()
    output = net(input)
    loss = compute_loss(target,output)
    loss.backward()
    optimizer.step()
    history.append(loss.item())
"""


def test_module_and_loop_tutorial_matches_pytorch() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((1, 1, 32, 32), dtype=np.float32)
    target = rng.random((1, 16, 5, 5), dtype=np.float32)
    ours, theirs = both(NET)
    copy_weights(ours["net"], theirs["net"])
    import neurocanvas.core as nc

    ours.update(input=nc.from_numpy(x), target=nc.from_numpy(target))
    theirs.update(input=torch.from_numpy(x), target=torch.from_numpy(target))
    run(NET_LOOP, True, ours)
    run(NET_LOOP, False, theirs)
    np.testing.assert_allclose(ours["history"], theirs["history"], rtol=1e-4)
    # the tutorial's example input has 3 channels: conv1 takes 1, in both engines
    with pytest.raises((RuntimeError, ValueError), match="channels"):
        run("output = net(torch.rand([1, 3, 256, 256]))", True, ours)
    with pytest.raises(RuntimeError, match="channels"):
        run("output = net(torch.rand([1, 3, 256, 256]))", False, theirs)


# ------------------------------------------------------------------ 004: the custom network

CUSTOM = """
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import TensorDataset, DataLoader
class MyModel(nn.Module):
    def __init__(self):
        super(MyModel, self).__init__()
        self.layer1 = nn.Linear(10, 20)
        self.layer2 = nn.Linear(20, 10)
    def forward(self, x):
        x = self.layer1(x)
        x = self.layer2(x)
        return x
model = MyModel()
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)
trainloader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), batch_size=4)
"""

CUSTOM_LOOP = """
history = []
for epoch in range(3):
    for i, (inputs, labels) in enumerate(trainloader):
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        history.append(loss.item())
"""


def test_custom_network_tutorial_matches_pytorch_and_its_mnist_mse_fails_in_both() -> None:
    rng = np.random.default_rng(0)
    data = {
        "X": rng.random((12, 10), dtype=np.float32),
        "Y": rng.random((12, 10), dtype=np.float32),
    }
    ours, theirs = run(CUSTOM, True, dict(data)), run(CUSTOM, False, dict(data))
    copy_weights(ours["model"], theirs["model"])
    run(CUSTOM_LOOP, True, ours)
    run(CUSTOM_LOOP, False, theirs)
    assert len(ours["history"]) == 9
    np.testing.assert_allclose(ours["history"], theirs["history"], rtol=1e-4)
    # section 4: MSELoss between (N, 10) outputs and (N,) integer labels is an error in both
    mismatch = "loss = criterion(model(torch.ones(4, 10)), torch.tensor([1, 2, 3, 4]))"
    with pytest.raises((RuntimeError, ValueError)), pytest.warns(UserWarning):
        run(mismatch, True, ours)
    with pytest.raises(RuntimeError), pytest.warns(UserWarning):
        run(mismatch, False, theirs)
