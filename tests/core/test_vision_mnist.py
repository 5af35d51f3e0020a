"""torchvision-style MNIST over local IDX files, as the tutorials load it (never downloads)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core.datasets import DatasetError
from neurocanvas.core.datasets.vision import MNIST, Compose, Normalize, ToTensor
from neurocanvas.core.utils.data import DataLoader


def write_idx(path: Path, array: np.ndarray, magic_type: int = 0x08) -> None:
    header = bytes([0, 0, magic_type, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.fixture
def root(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=10, dtype=np.uint8)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte.gz", images)
    write_idx(raw / "train-labels-idx1-ubyte.gz", labels)
    return tmp_path, images, labels


def test_mnist_reads_torchvisions_layout_and_transforms_like_torchvision(root) -> None:
    path, images, labels = root
    mean, std = 0.1307, 0.3081
    data = MNIST(
        path, train=True, transform=Compose([ToTensor(), Normalize((mean,), (std,))]), download=True
    )
    assert len(data) == 10
    image, label = data[3]
    assert image.shape == (1, 28, 28) and str(image.dtype) == "float32" and label == labels[3]
    np.testing.assert_allclose(image.numpy()[0], (images[3] / 255.0 - mean) / std, rtol=1e-5)
    batches = list(DataLoader(data, batch_size=4, shuffle=False))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]
    assert batches[0][1].tolist() == labels[:4].tolist()


def test_mnist_without_files_says_it_never_downloads(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="never downloads: t10k-images-idx3-ubyte"):
        MNIST(tmp_path, train=False, download=True)


def test_mnist_without_a_transform_gives_the_raw_bytes(root) -> None:
    path, images, labels = root
    image, label = MNIST(path)[0]
    assert image.dtype == np.uint8 and np.array_equal(image, images[0]) and label == labels[0]
