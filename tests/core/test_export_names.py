"""Every name a person might give a node that the generated code also uses: either the graph
refuses it, or the engine, ONNX Runtime and the generated PyTorch code all compute the same,
with state_dict keys that are the node names."""

from __future__ import annotations

import builtins
import keyword

import numpy as np
import pytest

from neurocanvas.core import Tensor, manual_seed, nn, no_grad
from neurocanvas.core.io.export.onnx_export import to_onnx
from neurocanvas.core.io.export.torch_code import (
    CODE_NAMES,
    TORCH_MODULE_ATTRIBUTES,
    torch_code,
)
from neurocanvas.core.network.catalogue import is_valid_name
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.graph import Graph, GraphError

ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

CANDIDATES = sorted(
    set(CODE_NAMES)
    | TORCH_MODULE_ATTRIBUTES
    | {n for n in dir(nn.Module) if not n.startswith("_")}
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
    | {n for n in dir(builtins) if not n.startswith("_")}
    | {"x", "self", "torch", "nn", "F", "forward", "input", "out", "value", "x_out", "inputs"}
    | {"layer", "layers", "node_names", "plan", "result_of", "input_node", "output_node"}
)
VALID = [n for n in CANDIDATES if is_valid_name(n)]
REFUSED = [n for n in CANDIDATES if not is_valid_name(n)]


def _skip_graph(name: str) -> Graph:
    """Input -> Linear `name` -> Add(input, it) -> Linear -> Output: a name that shadowed the
    input's variable ``x`` would make Add compute something else."""
    g = Graph()
    inp = g.add_node("Input", {"shape": (3,)})
    lin = g.add_node("Linear", {"out_features": 3}, name=name)
    add = g.add_node("Add")
    head = g.add_node("Linear", {"out_features": 2})
    out = g.add_node("Output", {"loss": "mse"})
    g.connect(inp.id, "out", lin.id, "in")
    g.connect(inp.id, "out", add.id, "in")
    g.connect(lin.id, "out", add.id, "in")
    g.connect(add.id, "out", head.id, "in")
    g.connect(head.id, "out", out.id, "in")
    return g


@pytest.mark.parametrize("name", REFUSED)
def test_the_graph_refuses_names_that_would_break_the_model(name):
    g = Graph()
    node = g.add_node("Linear", {"out_features": 2})
    with pytest.raises(GraphError):
        g.rename_node(node.id, name)


@pytest.mark.parametrize("name", VALID)
def test_a_node_name_never_changes_what_the_exports_compute(name, tmp_path):
    manual_seed(0)
    model = compile_graph(_skip_graph(name)).eval()
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    with no_grad():
        expected = model(Tensor(x)).detach().numpy()
    state = model.state_dict()
    assert f"{name}.weight" in state and f"{name}.bias" in state

    session = ort.InferenceSession(
        to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    np.testing.assert_allclose(session.run(None, {"input": x})[0], expected, rtol=1e-5, atol=1e-6)

    namespace: dict = {"__name__": "generated"}
    exec(compile(torch_code(model), "generated.py", "exec"), namespace)
    net = namespace["Net"]().eval()
    assert set(net.state_dict()) == set(state)
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    with torch.no_grad():
        got = net(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_the_torch_attribute_list_matches_torch():
    actual = {n for n in dir(torch.nn.Module) if not n.startswith("_")}
    assert actual <= TORCH_MODULE_ATTRIBUTES | {"training"}


def test_every_public_attribute_of_a_compiled_model_is_a_refused_node_name():
    model = compile_graph(_skip_graph("linear1"))
    own = {n for n in dir(model) if not n.startswith("_")} - set(model.node_names.values())
    assert [n for n in sorted(own) if is_valid_name(n)] == []
