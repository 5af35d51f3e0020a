"""torchvision-style MNIST for the tutorials' code: ``MNIST(root, train, transform)``.

The tutorials write ``torchvision.datasets.MNIST(root="./data", train=True,
transform=transforms.ToTensor(), download=True)``. NeuroCanvas never downloads (the machine
may be offline, and a tool that fetches files behind a person's back is not one they can
trust), so the class reads the four IDX files the person already has, through the same checked
reader the app uses (:func:`~neurocanvas.core.datasets.images.read_idx`). It looks in
``root/MNIST/raw`` (torchvision's layout) and in ``root`` itself, gzipped or not.

Samples are ``(image, label)``: without a transform the image is the uint8 ``(28, 28)`` array
(torchvision gives a PIL image; numpy is what our transforms take), the label an ``int``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neurocanvas.core.datasets._base import DatasetError
from neurocanvas.core.datasets.images import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.utils.data import Dataset

__all__ = ["MNIST", "FashionMNIST", "Compose", "Normalize", "ToTensor"]


class MNIST(Dataset):
    """The MNIST files in ``root`` as a map-style data set (torchvision's signature).

    Raises
    ------
    DatasetError
        When ``download=True`` and the files are missing (nothing is downloaded), or when a
        file is missing or damaged; the message names the file and where it was looked for.
    """

    folder = "MNIST"

    def __init__(
        self,
        root: str | Path,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root = Path(root).expanduser()
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        images = self._find(f"{prefix}-images-idx3-ubyte", download)
        labels = self._find(f"{prefix}-labels-idx1-ubyte", download)
        self.data = read_idx(str(images), IDX_IMAGES_MAGIC, "images", "root")
        self.targets = read_idx(str(labels), IDX_LABELS_MAGIC, "labels", "root").astype(np.int64)
        if len(self.data) != len(self.targets):
            raise DatasetError(
                f"{images.name} holds {len(self.data)} images but {labels.name} "
                f"{len(self.targets)} labels; they must match",
                "root",
            )

    def _find(self, stem: str, download: bool) -> Path:
        places = (self.root / self.folder / "raw", self.root)
        for place in places:
            for name in (stem, stem + ".gz"):
                if (place / name).is_file():
                    return place / name
        where = " or ".join(str(p) for p in places)
        why = "NeuroCanvas never downloads: " if download else ""
        raise DatasetError(
            f"{why}{stem}(.gz) was not found in {where}; put the MNIST files there", "root"
        )

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = self.data[index]
        target: Any = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


class FashionMNIST(MNIST):
    """Fashion-MNIST: the same file names, in ``root/FashionMNIST/raw`` or ``root``."""

    folder = "FashionMNIST"


class Compose:
    """Apply ``transforms`` in order (``torchvision.transforms.Compose``)."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x


class ToTensor:
    """uint8 ``(H, W)`` or ``(H, W, C)`` -> float32 Tensor ``(C, H, W)`` in [0, 1].

    As ``torchvision.transforms.ToTensor``: bytes are divided by 255, channels move first.
    """

    def __call__(self, image: Any) -> Any:
        arr = np.asarray(image)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        scaled = arr.astype(np.float32) / (255.0 if arr.dtype == np.uint8 else 1.0)
        return Tensor(np.ascontiguousarray(scaled.transpose(2, 0, 1)))


class Normalize:
    """``(x - mean) / std`` per channel of a ``(C, H, W)`` Tensor (``transforms.Normalize``)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1, 1, 1)

    def __call__(self, x: Any) -> Any:
        return Tensor((np.asarray(x.numpy()) - self.mean) / self.std)
