"""Weights to and from files other tools read: safetensors and npz.

safetensors is the format PyTorch, Hugging Face and most runtimes load without running any
code from the file (unlike pickle), so it is the default. Keys are the model's
``state_dict`` keys (``linear1.weight``), which are PyTorch's, so
``torch_model.load_state_dict(safetensors.torch.load_file(path))`` works unchanged.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np

from neurocanvas.core.io.atomic import atomic_write
from neurocanvas.core.nn.module import Module

from .weight_checks import MAX_WEIGHT_BYTES, dtype_problem, weight_problems

WEIGHT_FORMATS = ("safetensors", "npz")
#: npz has no metadata header: the metadata rides along as one JSON text array under this key,
#: which loading strips (it is not a tensor of the model).
NPZ_METADATA_KEY = "__metadata__"


class WeightsError(ValueError):
    """A weights file cannot be written, read, or does not fit the model."""


def check_weight_values(given: Mapping[str, np.ndarray], source: str = "the file") -> None:
    """Raise ``WeightsError`` naming every tensor that is not a finite real number array or
    holds an impossible statistic (see :mod:`.weight_checks`)."""
    problems = weight_problems(given)
    if problems:
        raise WeightsError(f"{source} cannot be used: " + "; ".join(problems))


def save_weights(
    state: Mapping[str, np.ndarray],
    path: str | os.PathLike,
    fmt: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``state`` (name -> host array) as safetensors or npz, atomically.

    ``fmt`` defaults to the file's extension. Arrays are written as they are (dtype and
    shape), so reading them back gives bit-identical values.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in WEIGHT_FORMATS:
        raise WeightsError(
            f"cannot write weights as {fmt!r}: choose one of {', '.join(WEIGHT_FORMATS)}"
        )
    # np.ascontiguousarray would turn 0-d arrays (num_batches_tracked) into 1-d ones.
    arrays = {k: np.asarray(v, order="C") for k, v in state.items()}
    problems = weight_problems(arrays)
    if problems:
        raise WeightsError(f"refusing to write {path.name}: " + "; ".join(problems))
    if not path.parent.exists():
        raise WeightsError(f"cannot write {path}: the folder {path.parent} does not exist")

    def write(tmp: str) -> None:
        if fmt == "safetensors":
            from safetensors.numpy import save_file

            save_file(arrays, tmp, metadata=dict(metadata or {}))
        else:
            # Any: numpy's stub would otherwise match the arrays against allow_pickle: bool
            extra: dict[str, Any] = (
                {NPZ_METADATA_KEY: np.array(json.dumps(dict(metadata)))} if metadata else {}
            )
            with open(tmp, "wb") as fh:
                np.savez(fh, **cast(dict[str, Any], arrays), **extra)

    try:
        atomic_write(path, write)
    except OSError as exc:
        raise WeightsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _check_npz_headers(path: Path) -> None:
    """Refuse an npz from its zip directory and .npy headers, before inflating anything.

    An npz is a zip: a few megabytes can inflate to gigabytes, and ``np.load`` would inflate
    each array before anyone sees its shape. The directory gives each member's inflated size
    and the .npy header its dtype and shape, so both are checked first.
    """
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_WEIGHT_BYTES:
            raise WeightsError(
                f"{path.name} inflates to {total:,} bytes; weights files are limited to "
                f"{MAX_WEIGHT_BYTES:,} bytes"
            )
        for member in members:
            with archive.open(member) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            key = member.filename.removesuffix(".npy")
            problem = dtype_problem(np.dtype(dtype))
            if key == NPZ_METADATA_KEY and np.dtype(dtype).kind == "U" and shape == ():
                problem = None  # our metadata text (see save_weights), not a tensor
            if problem is not None:
                raise WeightsError(f"{path.name}: {key} {problem}")
            size = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
            if size > member.file_size:
                raise WeightsError(
                    f"{path.name}: {key} claims shape {shape} but holds only "
                    f"{member.file_size:,} bytes"
                )


def load_weights(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a safetensors or npz file into name -> numpy array, with a clear error if broken."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            _check_npz_headers(path)
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files if k != NPZ_METADATA_KEY}
        if suffix == ".safetensors":
            from safetensors.numpy import load_file

            return dict(load_file(str(path)))
    except WeightsError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise WeightsError(
            f"{path.name} is not a readable {suffix[1:]} file ({_why(exc)})"
        ) from exc
    except Exception as exc:  # safetensors raises its own SafetensorError for damaged headers
        raise WeightsError(f"{path.name} is not a readable {suffix[1:]} file ({exc})") from exc
    raise WeightsError(f"cannot read weights from {path.name}: use a .safetensors or .npz file")


def _why(exc: BaseException) -> str:
    """The reader's complaint in the person's terms.

    numpy answers an array of Python objects with advice to pass ``allow_pickle=True``: for a
    file from elsewhere that would run its code, so say what it holds instead of how to load it.
    """
    if "allow_pickle" in str(exc):
        return (
            "not an archive of plain arrays; reading it would mean unpickling it, "
            "which is never done"
        )
    return str(exc)


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The text metadata of a safetensors or npz weights file ({} when it has none)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                if NPZ_METADATA_KEY not in data.files:
                    return {}
                meta = json.loads(str(data[NPZ_METADATA_KEY]))
            return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}
        if suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="numpy") as fh:
                return dict(fh.metadata() or {})
    except Exception as exc:  # zip, JSON and safetensors errors alike: the file is damaged
        raise WeightsError(
            f"{path.name} is not a readable {suffix[1:]} file ({_why(exc)})"
        ) from exc
    raise WeightsError(f"cannot read weights from {path.name}: use a .safetensors or .npz file")


def check_weights_fit(
    expected: Mapping[str, np.ndarray], given: Mapping[str, np.ndarray], source: str = "the file"
) -> None:
    """Raise ``WeightsError`` listing every missing, unexpected or misshapen tensor, and every
    one whose dtype or values the model cannot take (see :mod:`.weight_checks`)."""
    problems: list[str] = []
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    if missing:
        problems.append(f"missing in {source}: {', '.join(missing)}")
    if unexpected:
        problems.append(f"not in the model: {', '.join(unexpected)}")
    for key, ref in expected.items():
        if key in given and tuple(np.shape(given[key])) != tuple(ref.shape):
            problems.append(
                f"{key} has shape {tuple(np.shape(given[key]))} in {source} "
                f"but {tuple(ref.shape)} in the model"
            )
    problems += weight_problems({k: v for k, v in given.items() if k in expected}, expected)
    if problems:
        raise WeightsError("the weights do not fit this network: " + "; ".join(problems))


def import_weights(model: Module, path: str | os.PathLike) -> list[str]:
    """Load weights from ``path`` into ``model`` after checking every name and shape.

    Nothing is changed unless everything fits. Returns the loaded keys.
    """
    given = load_weights(path)
    expected = model.state_dict()
    check_weights_fit(expected, given, source=Path(path).name)
    model.load_state_dict(given)
    return list(given)
