"""Export a trained model to formats other tools read, and import weights back.

One entry point, :func:`export_model`, serves the CLI and the app's Export menu alike;
``EXPORT_FORMATS`` tells both what exists (file suffix and a description for file dialogs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from neurocanvas.core.datasets.preprocessing import METADATA_KEY, Preprocessing, PreprocessingError
from neurocanvas.core.io.atomic import atomic_write
from neurocanvas.core.network.compiler import GraphModule

from ._common import ExportError
from .torch_train import Experiment, export_training
from .weight_checks import weight_problems
from .weights import (
    WEIGHT_FORMATS,
    WeightsError,
    check_weights_fit,
    import_weights,
    load_weights,
    read_metadata,
    save_weights,
)


def preprocessing_metadata(preprocessing: Preprocessing | None) -> dict[str, str]:
    """The metadata entry that records ``preprocessing`` in a weights file (empty if none)."""
    if preprocessing is None or preprocessing.is_identity:
        return {}
    return {METADATA_KEY: preprocessing.to_json()}


def read_preprocessing(path: str | os.PathLike) -> Preprocessing | None:
    """The preprocessing a weights file (safetensors, npz) or ONNX model records, or None.

    Raises WeightsError when the file cannot be read or its record is damaged.
    """
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        import onnx

        try:
            props = {
                p.key: p.value
                for p in onnx.load(str(path), load_external_data=False).metadata_props
            }
        except Exception as exc:  # onnx raises DecodeError & co. for a damaged file
            raise WeightsError(f"{path.name} is not a readable ONNX file ({exc})") from exc
    else:
        props = read_metadata(path)
    text = props.get(METADATA_KEY)
    if text is None:
        return None
    try:
        return Preprocessing.from_json(text)
    except PreprocessingError as exc:
        raise WeightsError(f"{path.name}: damaged preprocessing record ({exc})") from exc


@dataclass(frozen=True)
class ExportFormat:
    key: str
    suffix: str
    description: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("safetensors", ".safetensors", "Weights (safetensors, PyTorch names)"),
        ExportFormat("npz", ".npz", "Weights (NumPy .npz)"),
        ExportFormat("onnx", ".onnx", "Model (ONNX, opset 17)"),
        ExportFormat("torch", ".py", "PyTorch code (+ safetensors weights)"),
        # suffix "": a folder (model.py, train.py, README.md, weights, data)
        ExportFormat("torch-train", "", "PyTorch training script (folder)"),
    )
}


def contradicting_suffix(path: str | os.PathLike, fmt: str) -> str | None:
    """The message when ``path``'s suffix is another export format's (``x.onnx`` for
    ``torch``, a ``.safetensors`` file for ``npz``, a ``.py`` folder); None when it fits
    or is no format's suffix."""
    suffix = Path(path).suffix.lower()
    wanted = EXPORT_FORMATS[fmt].suffix if fmt in EXPORT_FORMATS else suffix
    owner = next((f for f in EXPORT_FORMATS.values() if f.suffix and f.suffix == suffix), None)
    if owner is None or suffix == wanted:
        return None
    fits = f"a {wanted} file" if wanted else "a folder name without a suffix"
    return (
        f"{Path(path).name} has the suffix of --format {owner.key}, but --format {fmt} writes "
        f"{EXPORT_FORMATS[fmt].description}: give {fits} or --format {owner.key}"
    )


def export_model(
    model: GraphModule,
    path: str | os.PathLike,
    fmt: str,
    title: str = "network",
    preprocessing: Preprocessing | None = None,
    experiment: Experiment | None = None,
) -> list[Path]:
    """Write ``model`` to ``path`` in format ``fmt``; returns every file written.

    ``torch`` writes the ``.py`` file and its weights beside it (``<stem>.safetensors``),
    which the script loads, so the pair is all a person needs to continue in PyTorch.

    ``preprocessing`` (the data set's) goes inside the model: ONNX and the PyTorch code take
    raw inputs and give outputs in the target's units, as the app's own predictions; weight
    files carry it as metadata (``neurocanvas.preprocessing``, JSON) that import reads back.
    ``torch-train`` makes ``path`` a folder with the whole experiment (see
    :mod:`.torch_train`); it needs ``experiment`` (the project, its data set, lr changes).
    """
    if fmt not in EXPORT_FORMATS:
        raise ExportError(
            f"unknown export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}"
        )
    path = Path(path)
    if not path.parent.exists():
        raise ExportError(f"cannot write {path}: the folder {path.parent} does not exist")
    was_training = model.training
    model.eval()  # exports describe inference: dropout off, batch norm on running statistics
    try:
        problems = weight_problems(model.state_dict())
        if problems:  # a diverged model: every file would compute NaN
            raise ExportError(f"refusing to export {path.name}: " + "; ".join(problems))
        meta = preprocessing_metadata(preprocessing)
        if fmt in WEIGHT_FORMATS:
            if fmt == "safetensors":
                meta = {"format": "pt", **meta}
            return [save_weights(model.state_dict(), path, fmt, metadata=meta or None)]
        if fmt == "torch-train":
            if experiment is None:
                raise ExportError(
                    "the PyTorch training script needs the project, not only the model"
                )
            return export_training(model, path, experiment, title)
        if fmt == "onnx":
            from .onnx_export import export_onnx

            return [export_onnx(model, path, title, preprocessing)]
        from .torch_code import torch_code

        weights = path.with_suffix(".safetensors")
        save_weights(model.state_dict(), weights, "safetensors", metadata={"format": "pt", **meta})
        code = torch_code(model, weights.name, title, preprocessing)
        atomic_write(path, lambda tmp: Path(tmp).write_text(code, encoding="utf-8"))
        return [path, weights]
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        model.train(was_training)


__all__ = [
    "EXPORT_FORMATS",
    "Experiment",
    "ExportError",
    "ExportFormat",
    "WeightsError",
    "check_weights_fit",
    "contradicting_suffix",
    "export_model",
    "import_weights",
    "load_weights",
    "preprocessing_metadata",
    "read_metadata",
    "read_preprocessing",
    "save_weights",
]
