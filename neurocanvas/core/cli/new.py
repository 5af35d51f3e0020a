"""``neurocanvas new DATA.csv --target COLUMN -o PROJECT.ncproj``: a project for one's own table.

The project gets a network that trains well on most small tables without tuning: two hidden
layers of 32 ReLU units (wide enough for a few dozen features, small enough for a CPU), Adam
at lr 0.01 (``optim.Adam``'s default 1e-3 is slow for a few hundred rows), batches of 32,
standardised features, and a standardised target when its spread is far from 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from neurocanvas.core.cli._common import EXIT_OK, CliError

NAME = "new"
HIDDEN = 32
COLUMN = 200.0  # canvas spacing between layers, as the examples use

#: A numeric target with at most this many distinct whole numbers is taken for class labels.
MAX_NUMERIC_CLASSES = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="make a project that trains on your CSV file")
    p.add_argument("data", help="the CSV file (one sample per row)")
    p.add_argument("--target", default="", help="the column to predict (default: the last)")
    p.add_argument(
        "--features", default="", help="feature columns, comma-separated (default: all others)"
    )
    p.add_argument(
        "--task",
        choices=("auto", "regression", "classification"),
        default="auto",
        help="predict a number or a class (default: decided from the target column)",
    )
    p.add_argument("-o", "--output", required=True, help="the project file to write (.ncproj)")
    p.add_argument("--epochs", type=int, default=100, help="training epochs (default: 100)")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file")
    p.set_defaults(func=cmd_new)


def guess_task(values: Any) -> str:
    """'classification' for text labels or a few distinct whole numbers, else 'regression'."""
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        return "classification"
    arr = numbers.to_numpy(dtype=np.float64)
    distinct = np.unique(arr)
    whole = bool(np.all(distinct == np.round(distinct)))
    few = len(distinct) <= min(MAX_NUMERIC_CLASSES, max(2, len(arr) // 5))
    return "classification" if whole and few else "regression"


def _some(names: list[str], shown: int = 10) -> str:
    """At most ``shown`` names, then how many more: a line stays a line."""
    rest = len(names) - shown
    return ", ".join(names[:shown]) + (f", ... and {rest} more" if rest > 0 else "")


def default_graph(n_features: int, n_outputs: int, loss: str) -> Any:
    """Input -> Linear 32 -> ReLU -> Linear 32 -> ReLU -> Linear n_outputs -> Output(loss)."""
    from neurocanvas.core.network.graph import Graph

    g = Graph()
    chain: list[tuple[str, dict[str, Any]]] = [
        ("Input", {"shape": (n_features,)}),
        ("Linear", {"out_features": HIDDEN}),
        ("ReLU", {}),
        ("Linear", {"out_features": HIDDEN}),
        ("ReLU", {}),
        ("Linear", {"out_features": n_outputs}),
        ("Output", {"loss": loss}),
    ]
    prev = None
    for i, (type_, params) in enumerate(chain):
        node = g.add_node(type_, params, pos=(i * COLUMN, 0.0))
        if prev is not None:
            g.connect(prev.id, "out", node.id, "in")
        prev = node
    return g


def cmd_new(args: argparse.Namespace) -> int:
    from neurocanvas.core.datasets import DatasetError, default_params, make_dataset
    from neurocanvas.core.datasets.csv_reader import read_table
    from neurocanvas.core.io.project import SUFFIX, Project, ProjectError, save_project
    from neurocanvas.core.training import TrainingConfig

    out = Path(args.output)
    if out.suffix != SUFFIX:
        out = out.with_name(out.name + SUFFIX)
    if out.exists() and not args.force:
        raise CliError(f"{out} already exists: choose another name or add --force")
    if not out.parent.exists():
        raise CliError(f"cannot write {out}: the folder {out.parent} does not exist")
    data = Path(args.data).expanduser().resolve()
    params = {
        **default_params("csv"),
        "path": str(data),
        "target_column": args.target,
        "feature_columns": args.features,
    }
    try:
        task = args.task
        if task == "auto":
            table = read_table(str(data), args.target)
            target = args.target or table.columns[-1]
            if target not in table.columns:
                names = ", ".join(f"'{c}'" for c in table.columns)
                raise DatasetError(f"unknown column '{target}'; the file has {names}")
            task = guess_task(table.frame[target])
        params["task"] = task
        dataset = make_dataset("csv", params, seed=0)
        if any(note.startswith("hint: the target") for note in dataset.notes):
            params["standardize_target"] = True  # what the hint advises; exports undo it
            dataset = make_dataset("csv", params, seed=0)
    except DatasetError as exc:
        hint = " (--task regression)" if exc.param == "task" else ""
        raise CliError(f"{data.name}: {exc}{hint}") from exc
    loss = "cross_entropy" if dataset.kind == "classification" else "mse"
    n_features = int(dataset.input_shape[0])
    graph = default_graph(n_features, int(dataset.n_outputs), loss)
    try:
        config = TrainingConfig(epochs=args.epochs, batch_size=32, optimizer="adam", lr=0.01)
        config.validate()
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    project = Project(
        graph=graph,
        dataset_key="csv",
        dataset_params=params,
        dataset_seed=0,
        config=config,
        name=out.stem,
    )
    try:
        save_project(project, out)
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    target = dataset.target_name or args.target or "the last column"
    what = (
        f"{dataset.n_outputs} classes ({_some(dataset.class_names or [])})"
        if dataset.kind == "classification"
        else f"the number in '{target}'"
    )
    print(f"wrote {out}: {n_features} feature(s) -> {what}, {dataset.kind}")
    print(
        f"network: Input({n_features}) -> Linear {HIDDEN} -> ReLU -> Linear {HIDDEN} -> ReLU "
        f"-> Linear {dataset.n_outputs} -> Output({loss})"
    )
    for note in dataset.notes:
        print(f"data: {note}", file=sys.stderr)
    print(f"next: neurocanvas train {out} --export model.onnx   (or open it: neurocanvas {out})")
    return EXIT_OK
