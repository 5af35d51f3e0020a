"""The whole experiment as a PyTorch training folder: model, data, settings, script, weights.

``export_training`` writes::

    model.py               the network (torch_code.py's generator), loading weights.safetensors
    train.py               data loading, preprocessing, loss, optimizer, lr schedule, epochs,
                           batch size, seed, validation each epoch, DDP under torchrun
    README.md              the commands
    weights.safetensors    the model's weights now (what File > Export > PyTorch code writes)
    initial.safetensors    the weights a run starts from (the project's seed), so that
                           ``python train.py`` reproduces the app's run
    data.npz               generated data sets, exactly as the app made them (CSV and IDX
                           data sets are read again from their files instead)

``train.py`` is one fixed script (``resources/templates/train.py.tmpl``) plus an ``EXPERIMENT``
literal with everything specific to this project, so the script reads like hand-written
PyTorch and a person can change any setting in one place.
"""

from __future__ import annotations

import os
import pprint
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from neurocanvas.core.datasets import Dataset
from neurocanvas.core.datasets.csv_reader import read_table, resolve_path
from neurocanvas.core.datasets.preprocessing import METADATA_KEY
from neurocanvas.core.io.atomic import atomic_write
from neurocanvas.core.network.compiler import GraphModule, compile_graph
from neurocanvas.core.network.decision import last_activation, output_kind
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.random import default_rng, manual_seed
from neurocanvas.core.training import TrainingConfig

from ._common import ExportError
from .torch_code import torch_code
from .weights import save_weights

TEMPLATE = Path(__file__).resolve().parents[3] / "resources" / "templates" / "train.py.tmpl"
MARKER = "EXPERIMENT: dict[str, Any] = {}  # written by NeuroCanvas"
VAL_FRACTION = 0.2  # make_dataset's default, which the app and the CLI use
#: the files export_training always writes into the folder (plus DATA_FILE for generated data)
FOLDER_FILES = ("model.py", "train.py", "README.md", "weights.safetensors", "initial.safetensors")
DATA_FILE = "data.npz"
#: data sets that train.py reads again from their own files (no DATA_FILE written)
FILE_DATASETS = ("csv", "mnist")


def folder_files(folder: str | os.PathLike[str], dataset_key: str) -> list[Path]:
    """Every file ``export_training`` writes into ``folder`` for a data set ``dataset_key``."""
    names = [*FOLDER_FILES, *(() if dataset_key in FILE_DATASETS else (DATA_FILE,))]
    return [Path(folder) / name for name in names]


class Project(Protocol):
    """What the export reads of a ``core.io.project.Project`` (named by its fields: project.py
    imports this package for its weights files, so importing it back would be a cycle)."""

    graph: Graph
    dataset_key: str
    dataset_seed: int
    config: TrainingConfig
    name: str
    runs: list[Any]  # RunRecord, oldest first (training/runs.py)


@dataclass
class Experiment:
    """What a training run needs beyond the network: the project (data set choice and
    settings), its built data set, and the learning-rate changes made during the run as
    (step, new lr), starting with (0, lr) as the trainer records them."""

    project: Project
    dataset: Dataset | None
    lr_changes: Sequence[tuple[int, float]] = field(default_factory=tuple)


def last_run_lr(project: Project) -> list[tuple[int, float]]:
    """(step, lr) of the project's last recorded run: its starting lr and every lr change
    (the runs table's record, saved with the project); empty when there is no run."""
    runs = list(getattr(project, "runs", None) or [])
    if not runs or "lr" not in runs[-1].settings:
        return []
    run = runs[-1]
    moved = [(int(step), float(new)) for step, key, _, new in run.changes if key == "lr"]
    return [(0, float(run.settings["lr"])), *moved]


def lr_schedule(experiment: Experiment) -> list[list[float]]:
    """[[epoch, lr], ...]: the recorded changes, with steps turned into (fractional) epochs.

    The changes are the experiment's (the run just made), else the project's last recorded
    run's, else the configured lr throughout.

    Epochs rather than steps, because under ``torchrun`` each process takes fewer steps per
    epoch; in one process at the app's batch size the change lands on the same step.
    """
    config = experiment.project.config
    changes = list(experiment.lr_changes) or last_run_lr(experiment.project) or [(0, config.lr)]
    if changes[0][0] != 0:
        changes.insert(0, (0, config.lr))
    assert experiment.dataset is not None
    steps_per_epoch = -(-len(experiment.dataset.x_train) // config.batch_size)
    return [[step / steps_per_epoch, float(lr)] for step, lr in changes]


def _data_recipe(experiment: Experiment, folder: Path) -> tuple[dict[str, Any], list[Path]]:
    """How train.py gets the same samples: the same file read the same way plus the data
    set's recorded preprocessing (see ``datasets.preprocessing``), or data.npz."""
    project, dataset = experiment.project, experiment.dataset
    assert dataset is not None
    key, params, seed = project.dataset_key, dict(dataset.params), project.dataset_seed
    common = {
        "seed": seed,
        "val_fraction": VAL_FRACTION,
        "preprocessing": dataset.preprocessing.to_dict(),
    }
    if key == "csv":
        table = read_table(str(params["path"]), dataset.target_name or "")
        recipe: dict[str, Any] = {
            "kind": "csv",
            "path": str(table.path.resolve()),
            "separator": table.sep,
            "decimal": table.decimal,
            "header": table.has_header,
            "columns": list(table.raw_columns),
            "features": list(dataset.feature_names or []),
            "target": dataset.target_name,
            "classes": dataset.class_names if dataset.kind == "classification" else None,
        }
        return {**recipe, **common}, []
    if key == "mnist":
        recipe = {
            "kind": "idx",
            "images": str(resolve_path(params["images_path"], "images_path", "images").resolve()),
            "labels": str(resolve_path(params["labels_path"], "labels_path", "labels").resolve()),
            "max_samples": int(params["max_samples"]),
        }
        return {**recipe, **common}, []
    arrays = {
        "x_train": dataset.x_train,
        "y_train": dataset.y_train,
        "x_val": dataset.x_val,
        "y_val": dataset.y_val,
    }
    target_file = atomic_write(folder / DATA_FILE, lambda tmp: _savez(tmp, arrays))
    return {"kind": "npz", "file": target_file.name}, [target_file]


def _savez(tmp: str, arrays: dict[str, np.ndarray]) -> None:
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub misreads **kwargs


def _write_text(path: Path, text: str) -> Path:
    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    return atomic_write(path, write)


def initial_weights(project: Project, dataset: Dataset) -> dict[str, np.ndarray]:
    """The weights a run starts from: the graph compiled right after seeding with the
    project's seed, as the app's Train and ``neurocanvas train`` do. The shared generator's
    state is put back afterwards, so an export never changes a running training's draws."""
    state = default_rng().bit_generator.state
    try:
        manual_seed(int(project.config.seed))
        model = compile_graph(project.graph, dataset.data_spec())
    finally:
        default_rng().bit_generator.state = state
    return {k: np.array(v, copy=True) for k, v in model.state_dict().items()}


def checkpoint_metadata(experiment: Experiment) -> dict[str, str]:
    """safetensors metadata for the folder's weight files and train.py's checkpoint: PyTorch's
    marker, and the data set's preprocessing (as weight exports record it), so that importing
    the checkpoint back can tell that it expects inputs mapped with exactly these numbers."""
    assert experiment.dataset is not None
    pre = experiment.dataset.preprocessing
    return {"format": "pt", **({} if pre.is_identity else {METADATA_KEY: pre.to_json()})}


def training_script(
    experiment: Experiment,
    data: dict[str, Any],
    loss: str,
    drop_lone_batch: bool,
    output: str = "logits",
) -> str:
    """train.py's text: the template with this experiment's ``EXPERIMENT`` filled in.

    ``output``: what the network's last layer gives ("logits", "probabilities",
    "log_probabilities"; ``decision.output_kind``), so that train.py's accuracy labels the
    samples as the app's metrics do (a Sigmoid's output is thresholded at 0.5, not 0).

    ``drop_lone_batch``: the network has BatchNorm, so a last batch of one sample is skipped
    (as the app's trainer does: BatchNorm cannot normalise a single sample).
    """
    config = experiment.project.config
    settings = {
        key: getattr(config, key)
        for key in ("epochs", "batch_size", "optimizer", "lr", "momentum", "weight_decay", "seed")
    }
    spec = {
        "name": experiment.project.name,
        "loss": loss,
        "output": output,
        "settings": settings,
        "lr_schedule": lr_schedule(experiment),
        "drop_lone_batch": drop_lone_batch,
        "checkpoint_metadata": checkpoint_metadata(experiment),
        "data": data,
    }
    template = TEMPLATE.read_text(encoding="utf-8")
    literal = pprint.pformat(spec, width=96, sort_dicts=False)
    return template.replace(MARKER, f"EXPERIMENT: dict[str, Any] = {literal}")


def _has_batchnorm(model: GraphModule) -> bool:
    return any(type(m).__name__.startswith("BatchNorm") for _, m in model.layers())


README = """# {title}: the NeuroCanvas experiment in PyTorch

Needs Python 3.10+, `torch`, `numpy` and `safetensors` (`pip install torch numpy safetensors`).

```sh
python train.py                         # one process: the GPU if CUDA is there, else the CPU
torchrun --nproc_per_node=2 train.py    # data-parallel on 2 processes (gloo on CPU, nccl on GPUs)
torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --nproc_per_node=8 train.py   # 2 machines
python train.py --epochs 50 --batch-size 128 --lr 0.003 --data bigger.csv
```

- `model.py`: the network; `python model.py` runs it on random input with `weights.safetensors`.
  It takes inputs after the preprocessing that `train.py` applies ({preprocessing}); File >
  Export > PyTorch code in NeuroCanvas writes a model that takes raw inputs.
- `train.py`: data ({data}), preprocessing, loss `{loss}`, optimizer `{optimizer}`, the
  learning-rate schedule recorded in the app ({schedule}), {epochs} epochs of batch size
  {batch_size}, seed {seed}, a validation pass each epoch (one JSON line per epoch).
- `initial.safetensors`: the weights the app's run started from, so one process reproduces
  it (the same split and batch order); `--init weights.safetensors` continues from the
  weights the app had when exporting.
- `checkpoint.safetensors` (written at the end): open the project in NeuroCanvas and use
  File > Import weights, or `neurocanvas export PROJECT --weights checkpoint.safetensors ...`.
"""


def export_training(
    model: GraphModule, folder: str | os.PathLike[str], experiment: Experiment, title: str
) -> list[Path]:
    """Write the training folder for ``experiment`` (see the module docstring); returns the
    files written. ``model`` holds the weights written to ``weights.safetensors``.

    Raises ``ExportError`` when the project has no data set or ``folder`` is a file.
    """
    if experiment.dataset is None:
        raise ExportError(
            "the PyTorch training script needs the project's data set: choose one first"
        )
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"cannot write the training folder {folder}: a file has that name")
    folder.mkdir(exist_ok=True)
    loss = model.loss_kind
    data, data_files = _data_recipe(experiment, folder)
    meta = checkpoint_metadata(experiment)
    weights = save_weights(
        model.state_dict(), folder / "weights.safetensors", "safetensors", metadata=meta
    )
    initial = save_weights(
        initial_weights(experiment.project, experiment.dataset),
        folder / "initial.safetensors",
        "safetensors",
        metadata=meta,
    )
    config = experiment.project.config
    schedule = lr_schedule(experiment)
    texts = {
        "model.py": torch_code(model, weights.name, title),
        "train.py": training_script(
            experiment, data, loss, _has_batchnorm(model), output_kind(last_activation(model))
        ),
        "README.md": README.format(
            title=title,
            data=data["kind"] if data["kind"] != "npz" else "data.npz, as the app generated it",
            loss=loss,
            optimizer=config.optimizer,
            schedule=", ".join(f"lr {lr:g} from epoch {e:.4g}" for e, lr in schedule),
            epochs=config.epochs,
            batch_size=config.batch_size,
            seed=config.seed,
            preprocessing=experiment.dataset.preprocessing.describe().replace(
                " inside the model", ""
            ),
        ),
    }
    written = [_write_text(folder / name, text) for name, text in texts.items()]
    return [*written, weights, initial, *data_files]
