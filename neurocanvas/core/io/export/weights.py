"""Weights to and from files other tools read: safetensors and npz.

safetensors is the format PyTorch, Hugging Face and most runtimes load without running any
code from the file (unlike pickle), so it is the default. Keys are the model's
``state_dict`` keys (``linear1.weight``), which are PyTorch's, so
``torch_model.load_state_dict(safetensors.torch.load_file(path))`` works unchanged.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

WEIGHT_FORMATS = ("safetensors", "npz")


class WeightsError(ValueError):
    """A weights file cannot be written, read, or does not fit the model."""


def _atomic_target(path: Path) -> tuple[int, str]:
    """A temporary file beside ``path``, so a failed write never leaves half a file there."""
    return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)


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
    if not path.parent.exists():
        raise WeightsError(f"cannot write {path}: the folder {path.parent} does not exist")
    fd, tmp = _atomic_target(path)
    os.close(fd)
    try:
        if fmt == "safetensors":
            from safetensors.numpy import save_file

            save_file(arrays, tmp, metadata=dict(metadata or {}))
        else:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        os.replace(tmp, path)
    except OSError as exc:
        raise WeightsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_weights(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a safetensors or npz file into name -> numpy array, with a clear error if broken."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        if suffix == ".safetensors":
            from safetensors.numpy import load_file

            return dict(load_file(str(path)))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise WeightsError(f"{path.name} is not a readable {suffix[1:]} file ({exc})") from exc
    except Exception as exc:  # safetensors raises its own SafetensorError for damaged headers
        raise WeightsError(f"{path.name} is not a readable {suffix[1:]} file ({exc})") from exc
    raise WeightsError(f"cannot read weights from {path.name}: use a .safetensors or .npz file")


def check_weights_fit(
    expected: Mapping[str, np.ndarray], given: Mapping[str, np.ndarray], source: str = "the file"
) -> None:
    """Raise ``WeightsError`` listing every missing, unexpected or misshapen tensor."""
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
    if problems:
        raise WeightsError("the weights do not fit this network: " + "; ".join(problems))


def import_weights(model, path: str | os.PathLike) -> list[str]:
    """Load weights from ``path`` into ``model`` after checking every name and shape.

    Nothing is changed unless everything fits. Returns the loaded keys.
    """
    given = load_weights(path)
    expected = model.state_dict()
    check_weights_fit(expected, given, source=Path(path).name)
    model.load_state_dict(given)
    return list(given)
