"""The example projects that ship with NeuroCanvas.

Each example is a ``.ncproj`` file in ``neurocanvas/resources/examples/`` listed in one
``manifest.json`` (name, title, description, the result it trains to). The files are generated
from the definitions below, so a layout or setting is changed in one place:

    python -m neurocanvas.core.io.examples --regenerate

A test checks that the shipped files match what this module generates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurocanvas.core.io.project import Project, ProjectError, load_project, save_project
from neurocanvas.core.training import TrainingConfig

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "resources" / "examples"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "neurocanvas-examples"
DEFAULT_EXAMPLE = "general-fit"

# Canvas layout. Nodes are about 132 x 76 px; a 200 px column pitch leaves a 68 px gap, just
# room for a wire's shape label, and keeps a seven-layer chain narrow enough to open close to
# full size on a 1920-pixel-wide screen.
COLUMN = 200.0
ROW = 120.0
NODE_SIZE = (132.0, 76.0)


class ExampleError(KeyError):
    """An example name that does not exist (the message lists the valid names)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class ExampleInfo:
    """One manifest entry."""

    name: str
    title: str
    description: str
    result: str  # the stated result, e.g. "w = 2.00, b = 1.00"
    file: str


# --------------------------------------------------------------------------- reading
def _manifest(directory: Path = EXAMPLES_DIR) -> dict[str, Any]:
    with open(directory / MANIFEST, encoding="utf-8") as fh:
        return json.load(fh)


def list_examples() -> list[ExampleInfo]:
    """The shipped examples, in the manifest's order."""
    return [ExampleInfo(**entry) for entry in _manifest()["examples"]]


def _info(name: str) -> ExampleInfo:
    examples = list_examples()
    for info in examples:
        if info.name == name:
            return info
    valid = ", ".join(i.name for i in examples)
    raise ExampleError(f"no example called {name!r}; the examples are: {valid}")


def example_path(name: str) -> Path:
    """Path of an example's ``.ncproj`` file; ExampleError for an unknown name."""
    return EXAMPLES_DIR / _info(name).file


def load_example(name: str) -> Project:
    """Load a shipped example as a new, unsaved project."""
    project, _ = load_project(example_path(name))
    return project


# --------------------------------------------------------------------------- definitions
@dataclass(frozen=True)
class _Layer:
    type: str
    params: dict[str, Any]
    name: str


def _chain(*layers: tuple[str, dict[str, Any], str]) -> list[_Layer]:
    return [_Layer(t, p, n) for t, p, n in layers]


def _graph_from_chain(layers: list[_Layer], row: float = 0.0) -> Any:
    """A straight pipeline laid out left to right on one row."""
    from neurocanvas.core.network.graph import Graph

    graph = Graph()
    prev = None
    for i, layer in enumerate(layers):
        node = graph.add_node(
            layer.type, dict(layer.params), pos=(i * COLUMN, row), name=layer.name
        )
        if prev is not None:
            graph.connect(prev.id, "out", node.id, "in")
        prev = node
    return graph


def _linear_regression() -> tuple[Any, dict]:
    graph = _graph_from_chain(
        _chain(
            ("Input", {"shape": (1,)}, "input"),
            ("Linear", {"out_features": 1}, "linear"),
            ("Output", {"loss": "mse"}, "output"),
        )
    )
    return graph, {}


def _polynomial_regression() -> tuple[Any, dict]:
    graph = _graph_from_chain(
        _chain(
            ("Input", {"shape": (1,)}, "input"),
            ("PolynomialFeatures", {"degree": 2}, "poly"),
            ("Linear", {"out_features": 1}, "linear"),
            ("Output", {"loss": "mse"}, "output"),
        )
    )
    return graph, {}


def _mlp(shape: tuple[int, ...], hidden: Sequence[int], n_out: int, loss: str) -> Any:
    layers: list[tuple[str, dict[str, Any], str]] = [("Input", {"shape": shape}, "input")]
    if len(shape) > 1:
        layers.append(("Flatten", {}, "flatten"))
    for i, width in enumerate(hidden, start=1):
        layers.append(("Linear", {"out_features": width}, f"linear{i}"))
        layers.append(("ReLU", {}, f"relu{i}"))
    layers.append(("Linear", {"out_features": n_out}, f"linear{len(hidden) + 1}"))
    layers.append(("Output", {"loss": loss}, "output"))
    return _graph_from_chain(_chain(*layers))


def _digits_cnn() -> Any:
    return _graph_from_chain(
        _chain(
            ("Input", {"shape": (1, 8, 8)}, "input"),
            ("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, "conv1"),
            ("ReLU", {}, "relu1"),
            ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, "conv2"),
            ("ReLU", {}, "relu2"),
            ("AvgPool2d", {"kernel_size": 2}, "pool"),
            ("Flatten", {}, "flatten"),
            ("Linear", {"out_features": 10}, "fc"),
            ("Output", {"loss": "cross_entropy"}, "output"),
        )
    )


def _residual_mlp() -> Any:
    """stem -> relu -> (linear -> relu -> linear) + skip -> relu -> head.

    The skip wire runs above the main row so the Add node visibly joins two paths.
    """
    from neurocanvas.core.network.graph import Graph, Node

    g = Graph()

    def node(type_: str, params: dict[str, Any], name: str, col: float, row: float = 0.0) -> Node:
        return g.add_node(type_, params, pos=(col * COLUMN, row * ROW), name=name)

    inp = node("Input", {"shape": (2,)}, "input", 0)
    stem = node("Linear", {"out_features": 32}, "stem", 1)
    act0 = node("ReLU", {}, "relu0", 2)
    fc1 = node("Linear", {"out_features": 32}, "block_fc1", 3, 1)
    act1 = node("ReLU", {}, "block_relu", 4, 1)
    fc2 = node("Linear", {"out_features": 32}, "block_fc2", 5, 1)
    add = node("Add", {}, "add", 6)
    act2 = node("ReLU", {}, "relu_out", 7)
    head = node("Linear", {"out_features": 3}, "head", 8)
    out = node("Output", {"loss": "cross_entropy"}, "output", 9)
    for a, b in [(inp, stem), (stem, act0), (act0, fc1), (fc1, act1), (act1, fc2)]:
        g.connect(a.id, "out", b.id, "in")
    g.connect(fc2.id, "out", add.id, "in")
    g.connect(act0.id, "out", add.id, "in")  # the skip connection
    for a, b in [(add, act2), (act2, head), (head, out)]:
        g.connect(a.id, "out", b.id, "in")
    return g


@dataclass(frozen=True)
class _Definition:
    info: ExampleInfo
    graph: Callable[[], Any]
    dataset_key: str
    dataset_params: dict[str, Any]
    config: TrainingConfig


def _definitions() -> list[_Definition]:
    def info(name: str, title: str, description: str, result: str) -> ExampleInfo:
        return ExampleInfo(name, title, description, result, f"{name}.ncproj")

    return [
        _Definition(
            info(
                "linear-regression",
                "Linear regression",
                "One Linear(1, 1) layer learns y = 2x + 1 from noisy points: the first "
                "model of every tutorial. Its weight and bias are the slope and intercept.",
                "w = 2.00, b = 1.00 (within 0.05) after 150 epochs",
            ),
            lambda: _linear_regression()[0],
            "linear",
            {"n_samples": 200, "noise": 0.2},
            TrainingConfig(epochs=150, batch_size=32, optimizer="adam", lr=0.05),
        ),
        _Definition(
            info(
                "polynomial-regression",
                "Polynomial regression",
                "Polynomial features turn x into [x, x^2]; one Linear layer on top then fits "
                "y = 3x^2 + 2x + 1 exactly as a linear model would.",
                "weights 2.0 (x) and 3.0 (x^2), bias 1.0 (each within 0.1)",
            ),
            lambda: _polynomial_regression()[0],
            "polynomial",
            {"n_samples": 200, "noise": 0.3},
            TrainingConfig(epochs=200, batch_size=32, optimizer="adam", lr=0.05),
        ),
        _Definition(
            info(
                "general-fit",
                "Fit any curve",
                "Two hidden layers of 32 ReLU units learn a sine wave from noisy samples. "
                "Change the data set to any curve, or type your own formula.",
                "validation MSE below 0.03 (the noise alone is 0.01)",
            ),
            lambda: _mlp((1,), [32, 32], 1, "mse"),
            "sine",
            {"n_samples": 300, "noise": 0.1},
            TrainingConfig(epochs=200, batch_size=32, optimizer="adam", lr=0.01),
        ),
        _Definition(
            info(
                "spiral-classifier",
                "Spiral classifier",
                "Two interleaved spirals cannot be split by a line; two hidden layers bend "
                "the decision boundary around them. Watch the probability map.",
                "validation accuracy >= 97%",
            ),
            lambda: _mlp((2,), [64, 64], 2, "cross_entropy"),
            "spirals",
            {"n_samples": 600, "noise": 0.05, "classes": 2},
            TrainingConfig(epochs=150, batch_size=32, optimizer="adam", lr=0.01),
        ),
        _Definition(
            info(
                "digits-mlp",
                "Digits with an MLP",
                "The 8x8 handwritten digits flattened to 64 numbers, one hidden layer of "
                "128 units, 10 outputs: the tutorial's first image classifier.",
                "validation accuracy >= 95%",
            ),
            lambda: _mlp((1, 8, 8), [128], 10, "cross_entropy"),
            "digits",
            {"n_samples": 1797},
            TrainingConfig(epochs=20, batch_size=32, optimizer="adam", lr=0.003),
        ),
        _Definition(
            info(
                "digits-cnn",
                "Digits with a CNN",
                "Two small convolutions share their weights across the image, then average "
                "pooling and one Linear layer classify it: the tutorial's CNN, kept small so it "
                "trains in seconds.",
                "validation accuracy >= 95%",
            ),
            _digits_cnn,
            "digits",
            {"n_samples": 1797},
            TrainingConfig(epochs=8, batch_size=32, optimizer="adam", lr=0.01),
        ),
        _Definition(
            info(
                "residual-mlp",
                "Residual MLP",
                "A block whose output is added to its input (a skip connection through Add), "
                "the idea behind ResNets, on three interleaved spirals.",
                "validation accuracy >= 90%",
            ),
            _residual_mlp,
            "spirals",
            {"n_samples": 600, "noise": 0.05, "classes": 3},
            TrainingConfig(epochs=150, batch_size=32, optimizer="adam", lr=0.01),
        ),
    ]


def build_examples() -> list[tuple[ExampleInfo, Project]]:
    """The example projects as generated from the definitions above."""
    out = []
    for d in _definitions():
        graph = d.graph()
        xs = [n.pos[0] for n in graph.nodes.values()]
        ys = [n.pos[1] for n in graph.nodes.values()]
        # centre of the nodes' bounding box so the app frames the network
        width, height = NODE_SIZE
        view = {"center": [(min(xs) + max(xs) + width) / 2, (min(ys) + max(ys) + height) / 2]}
        project = Project(
            graph=graph,
            dataset_key=d.dataset_key,
            dataset_params=dict(d.dataset_params),
            dataset_seed=0,
            config=d.config,
            view=view,
            name=d.info.title,
        )
        out.append((d.info, project))
    return out


def regenerate(directory: Path = EXAMPLES_DIR) -> list[Path]:
    """Write every example's ``.ncproj`` and the manifest into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    entries = []
    for info, project in build_examples():
        path = directory / info.file
        save_project(project, path)
        written.append(path)
        entries.append(
            {
                "name": info.name,
                "title": info.title,
                "description": info.description,
                "result": info.result,
                "file": info.file,
            }
        )
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "default": DEFAULT_EXAMPLE,
        "examples": entries,
    }
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    return written


def default_example() -> str:
    """The example the app opens on first start."""
    return str(_manifest().get("default", DEFAULT_EXAMPLE))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neurocanvas.core.io.examples")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the example files")
    args = parser.parse_args(argv)
    if args.regenerate:
        for path in regenerate():
            print(path)
        return 0
    for info in list_examples():
        print(f"{info.name:24} {info.title}")
    return 0


__all__ = [
    "ExampleError",
    "ExampleInfo",
    "ProjectError",
    "build_examples",
    "default_example",
    "example_path",
    "list_examples",
    "load_example",
    "regenerate",
]

if __name__ == "__main__":
    sys.exit(main())
