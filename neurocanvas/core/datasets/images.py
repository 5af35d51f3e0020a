"""Image data sets: scikit-learn's 8x8 digits (shipped, offline) and MNIST-style IDX files.

Images come out as (n, 1, H, W) float32 in [0, 1], labels as int64 class ids.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import sklearn_files
from ._base import DatasetError, RawData
from .preprocessing import Preprocessing

__all__ = ["FASHION_CLASSES", "read_idx", "make_digits", "make_mnist"]

FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DIGIT_CLASSES = [str(d) for d in range(10)]

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_MAGIC_NAMES = {IDX_IMAGES_MAGIC: "an IDX images file", IDX_LABELS_MAGIC: "an IDX labels file"}


@lru_cache(maxsize=1)
def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits, read once from its file (:mod:`.sklearn_files`: importing
    scikit-learn would take a second; the panel rebuilds the set on every parameter change)."""
    flat, target, _, _ = sklearn_files.load("digits")
    x = (flat.reshape(-1, 8, 8) / 16.0).astype(np.float32)[:, None, :, :]
    y = target.astype(np.int64)
    x.flags.writeable = False  # shared between calls: nobody may change the cached copy
    y.flags.writeable = False
    return x, y


def make_digits(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """The 1,797 8x8 digits that scikit-learn ships, scaled from 0..16 to [0, 1].

    ``n_samples`` below the full count takes a seeded random subset, for quick runs.
    """
    x, y = _load_digits()
    n = min(int(params["n_samples"]), len(x))
    if n < len(x):
        keep = np.sort(rng.choice(len(x), size=n, replace=False))
        x, y = x[keep], y[keep]
    return RawData(
        kind="classification",
        x=x,
        y=y,
        input_shape=(1, 8, 8),
        n_outputs=10,
        class_names=list(DIGIT_CLASSES),
        preprocessing=Preprocessing.scaling_inputs(16.0, "pixel values 0..16 divided by 16"),
    )


MAX_IDX_BYTES = 1024**3  # 1 GiB of pixels: 20 times MNIST's 47 MB training images


def _checked_path(path_text: str, what: str, param: str) -> Path:
    if not str(path_text).strip():
        raise DatasetError(f"choose the {what} file (no path given)", param)
    path = Path(os.path.expanduser(str(path_text).strip()))
    if not path.exists():
        raise DatasetError(f"{what} file not found: {path}", param)
    if not path.is_file():
        raise DatasetError(f"{what} path is not a file: {path}", param)
    return path


def _is_gzip(path: Path) -> bool:
    """Whether the file starts with the gzip signature (its name does not matter)."""
    try:
        with path.open("rb") as probe:
            return probe.read(2) == b"\x1f\x8b"
    except OSError:
        return False  # reading it again below reports the reason


_EXTRA_COUNTED = 1024**2


class _Readable(Protocol):
    """A file or a gzip stream: all the IDX reader needs."""

    def read(self, size: int, /) -> bytes: ...


def _read_up_to(fh: _Readable, size: int) -> bytes:
    """At most ``size`` bytes, read in 1 MiB pieces: ``read(size)`` would reserve all ``size``
    bytes at once, however few the file holds (a flipped header byte claiming 500 MB)."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = fh.read(min(1024**2, size - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _count_rest(fh: _Readable) -> int:
    """How many bytes follow (counted up to just past :data:`_EXTRA_COUNTED`, never kept)."""
    count = 0
    while count <= _EXTRA_COUNTED:
        chunk = fh.read(64 * 1024)
        if not chunk:
            break
        count += len(chunk)
    return count


def read_idx(path: str, expected_magic: int, what: str, param: str) -> np.ndarray:
    """Read an IDX file of unsigned bytes (the MNIST format) and check it is the expected kind.

    The header is a big-endian magic number (0, 0, type 0x08, number of dimensions) and one
    big-endian uint32 per dimension; the data must be exactly the product of the dimensions.
    The header is read and checked first, the size against :data:`MAX_IDX_BYTES` included,
    so a small gzip file that claims gigabytes is refused before anything is inflated.
    """
    file = _checked_path(path, what, param)
    name = file.name
    gzipped = _is_gzip(file)
    try:
        # streamed, un-gzipped on the fly: nothing is inflated before the header is checked
        with gzip.open(file, "rb") if gzipped else file.open("rb") as fh:
            head = fh.read(4)
            if len(head) < 4:
                raise DatasetError(f"{what} file {name} is too short to be an IDX file", param)
            magic = int.from_bytes(head, "big")
            if magic != expected_magic:
                found = _MAGIC_NAMES.get(magic)
                hint = f" — it is {found}; check the two paths" if found else ""
                raise DatasetError(
                    f"{what} file {name} has magic number {magic} (0x{magic:08x}), "
                    f"expected {expected_magic} (0x{expected_magic:08x}){hint}",
                    param,
                )
            ndim = head[3]
            raw_dims = fh.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DatasetError(f"{what} file {name} is truncated inside its header", param)
            dims = tuple(int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
            expected = math.prod(dims)  # a Python int: no int64 overflow
            if expected > MAX_IDX_BYTES:
                raise DatasetError(
                    f"{what} file {name} declares dimensions {dims}, {expected:,} bytes of "
                    f"data; the limit is {MAX_IDX_BYTES:,} bytes",
                    param,
                )
            data = _read_up_to(fh, expected)
            extra = _count_rest(fh)
    except (OSError, EOFError, zlib.error) as exc:
        kind = "gzip file" if gzipped else "file"
        raise DatasetError(
            f"{what} file {name} is a damaged or truncated {kind} ({exc})", param
        ) from exc
    found_bytes = len(data)
    if found_bytes < expected:
        raise DatasetError(
            f"{what} file {name} is truncated: its header promises {expected} bytes of data "
            f"for dimensions {dims}, found {found_bytes}",
            param,
        )
    if extra:
        more = f"{extra:,}" if extra <= _EXTRA_COUNTED else f"more than {_EXTRA_COUNTED:,}"
        raise DatasetError(
            f"{what} file {name} has {more} bytes more than its header's dimensions {dims} allow",
            param,
        )
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def make_mnist(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """MNIST or Fashion-MNIST from local IDX files (as downloaded, gzipped or not).

    ``max_samples`` (0 = all) takes a seeded random subset, because all 60,000 images make a
    slow first epoch on a CPU.
    """
    images = read_idx(params["images_path"], IDX_IMAGES_MAGIC, "images", "images_path")
    labels = read_idx(params["labels_path"], IDX_LABELS_MAGIC, "labels", "labels_path")
    if len(images) != len(labels):
        raise DatasetError(
            f"the images file holds {len(images)} images but the labels file "
            f"{len(labels)} labels; they must match",
            "labels_path",
        )
    if len(images) == 0:
        raise DatasetError("the images file holds no images", "images_path")
    if labels.max() > 9:
        raise DatasetError(
            f"label {int(labels.max())} found; MNIST-style labels run from 0 to 9", "labels_path"
        )
    limit = int(params["max_samples"])
    if 0 < limit < len(images):
        keep = np.sort(rng.choice(len(images), size=limit, replace=False))
        images, labels = images[keep], labels[keep]
    rows, cols = images.shape[1:]
    fashion = params["variant"] == "Fashion-MNIST"
    return RawData(
        kind="classification",
        x=(images.astype(np.float32) / 255.0)[:, None, :, :],
        y=labels.astype(np.int64),
        input_shape=(1, int(rows), int(cols)),
        n_outputs=10,
        class_names=list(FASHION_CLASSES if fashion else DIGIT_CLASSES),
        preprocessing=Preprocessing.scaling_inputs(255.0, "pixel values 0..255 divided by 255"),
    )
