"""``torch.save`` / ``torch.load`` for tensors and state_dicts, through safetensors.

PyTorch pickles, and unpickling runs whatever code a file names; safetensors (Hugging Face's
format: a JSON header plus raw little-endian arrays) cannot carry code, is read by PyTorch,
JAX and numpy alike, and is already the app's export format. So what can be saved is what
safetensors holds: one tensor, or a flat mapping of names to tensors/arrays (a
``state_dict``). A PyTorch ``.pt``/``.pth`` file (a zip archive or a pickle) is refused with a
message saying how to convert it.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
from safetensors.numpy import load as _st_load
from safetensors.numpy import save as _st_save

from neurocanvas.core import backend
from neurocanvas.core.autograd import TensorBase, wrap

__all__ = ["load", "save"]

_KIND = "neurocanvas.kind"  # header metadata: "tensor" or "state_dict"
_TENSOR_KEYS = "neurocanvas.tensor_keys"  # which values were Tensors (the rest numpy arrays)
_ORDER = "neurocanvas.order"  # the mapping's key order (safetensors stores keys sorted)
_SINGLE = "tensor"
_CONVERT = (
    "it looks like a PyTorch file ({what}), which is a pickle; neurocanvas never unpickles "
    "(a pickle can run any code). Convert it once in PyTorch:\n"
    "    import torch\n"
    "    from safetensors.torch import save_file\n"
    "    save_file(torch.load('{name}', weights_only=True), 'model.safetensors')\n"
    "and load 'model.safetensors' instead."
)


def _array(value: Any, where: str) -> np.ndarray:
    if isinstance(value, TensorBase):
        return np.ascontiguousarray(backend.to_numpy(value.array))
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value)
    raise TypeError(
        f"torch.save: {where} is a {type(value).__name__}; only tensors and numpy arrays can "
        "be saved (safetensors holds arrays, not Python objects)"
    )


def save(obj: Any, f: str | os.PathLike[str] | IO[bytes]) -> None:
    """Save a tensor or a ``{name: tensor or array}`` mapping (a ``state_dict``) to ``f``.

    ``f`` is a path or a binary file object. Raises ``TypeError`` for anything else (nested
    dicts such as an optimizer's state_dict, Python objects), naming the offending entry.
    """
    if isinstance(obj, (TensorBase, np.ndarray)):
        arrays = {_SINGLE: _array(obj, "the object")}
        meta = {
            _KIND: "tensor",
            _TENSOR_KEYS: json.dumps([_SINGLE] if isinstance(obj, TensorBase) else []),
        }
    elif isinstance(obj, Mapping):
        arrays = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"torch.save: keys must be strings, got {key!r}")
            arrays[key] = _array(value, f"entry {key!r}")
        tensor_keys = [k for k, v in obj.items() if isinstance(v, TensorBase)]
        meta = {
            _KIND: "state_dict",
            _TENSOR_KEYS: json.dumps(tensor_keys),
            _ORDER: json.dumps(list(arrays)),
        }
    else:
        raise TypeError(
            f"torch.save: cannot save a {type(obj).__name__}; save a tensor or a state_dict "
            "(model.state_dict())"
        )
    data = _st_save(arrays, metadata=meta)
    if hasattr(f, "write"):
        f.write(data)  # type: ignore[union-attr]
    else:
        with open(f, "wb") as fh:  # type: ignore[arg-type]
            fh.write(data)


def _read(f: str | os.PathLike[str] | IO[bytes]) -> tuple[bytes, str]:
    if hasattr(f, "read"):
        return f.read(), getattr(f, "name", "the file")  # type: ignore[union-attr]
    with open(f, "rb") as fh:  # type: ignore[arg-type]
        return fh.read(), os.fspath(f)  # type: ignore[arg-type]


def load(
    f: str | os.PathLike[str] | IO[bytes], map_location: Any = None, weights_only: bool = True
) -> Any:
    """Load what :func:`save` wrote: a Tensor, or an ordered ``{name: value}`` mapping whose
    values are Tensors or numpy arrays as they were saved.

    ``map_location`` ("cpu"/"cuda") moves tensors there. Raises ``ValueError`` for a PyTorch
    pickle file (saying how to convert it) or a file that is not safetensors.
    """
    raw, name = _read(f)
    if raw[:4] == b"PK\x03\x04":
        raise ValueError(f"torch.load: {name}: " + _CONVERT.format(what="a zip archive", name=name))
    if raw[:1] == b"\x80":
        raise ValueError(
            f"torch.load: {name}: " + _CONVERT.format(what="a pickle stream", name=name)
        )
    try:
        arrays = _st_load(raw)
        header_len = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8 : 8 + header_len])
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"torch.load: {name} is not a safetensors file ({exc})") from None
    meta = header.get("__metadata__") or {}
    tensor_keys = set(json.loads(meta.get(_TENSOR_KEYS, "null") or "null") or arrays)
    device = None if map_location is None else str(map_location)

    def restore(key: str, arr: np.ndarray) -> Any:
        if key not in tensor_keys:
            return arr
        return wrap(arr if device in (None, "cpu") else backend.to_device(arr, device))

    if meta.get(_KIND) == "tensor":
        return restore(_SINGLE, arrays[_SINGLE])
    order = json.loads(meta[_ORDER]) if _ORDER in meta else sorted(arrays)
    return OrderedDict((k, restore(k, arrays[k])) for k in order)
