"""Which files an export writes, and which of them it must never write, known before writing.

The CLI and the app's Export menu check every file an export will write (the main output,
the ``.safetensors`` beside a ``.py``, a training folder's files) against the project's own
files first: a sidecar named like the project's weights once replaced them without a word.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from neurocanvas.core.io.export.torch_train import folder_files
from neurocanvas.core.io.project import weights_file


def export_files(path: str | os.PathLike[str], fmt: str, dataset_key: str = "") -> list[Path]:
    """Every file ``export_model(model, path, fmt)`` writes, known before writing any, so
    that a caller can check them all first (none is the project's own, none exists).

    ``torch``: the ``.py`` file and its ``<stem>.safetensors``; ``torch-train``: the folder's
    files, with ``data.npz`` unless ``dataset_key`` is a data set read from its own files.
    """
    path = Path(path)
    if fmt == "torch":
        return [path, path.with_suffix(".safetensors")]
    if fmt == "torch-train":
        return folder_files(path, dataset_key)
    return [path]


def own_files(
    project_path: str | os.PathLike[str] | None, dataset_params: Mapping[str, Any]
) -> dict[Path, str]:
    """The project's own files, resolved, each with what it is: the project file, its
    weights file and its data file(s) (``path``, ``images``, ``labels``; relative paths are
    read from the project's folder, as the data set loader does)."""
    own: dict[Path, str] = {}
    source = Path(project_path) if project_path is not None else None
    if source is not None and source.exists():
        own[source.resolve()] = "the project file"
        if source.suffix == ".ncproj":
            sidecar = weights_file(source)
            if sidecar is not None:
                own[sidecar.resolve()] = "the project's weights file"
    for key in ("path", "images", "labels"):
        value = dataset_params.get(key)
        if isinstance(value, str) and value:
            data = Path(value)
            if not data.is_absolute() and source is not None and source.exists():
                data = source.resolve().parent / data
            own[data.resolve()] = "the project's data file"
    return own


def own_file_refusal(
    output: str | os.PathLike[str], files: list[Path], own: dict[Path, str]
) -> str | None:
    """The one-line refusal when one of ``files`` (an export to ``output``) is one of the
    project's ``own`` files; None when none is."""
    for path in files:
        what = own.get(path.expanduser().resolve())
        if what is not None:
            beside = "" if str(path) == str(output) else f" (written with {output})"
            return f"{path}{beside} is {what}: choose another output path (nothing was written)"
    return None
