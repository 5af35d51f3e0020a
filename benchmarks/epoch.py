"""Time per epoch of the tutorials' MLP and CNN on 60,000 images of 28x28, ours vs PyTorch.

    python benchmarks/epoch.py [--batches 40] [--repeat 3]

The two models our users learn from (/work/shared/seeds): the MLP 784-128-ReLU-10 trained
with Adam in batches of 32, and the CNN conv(1->64, 3x3, p1)-ReLU-conv(64->64, 3x3, p1)-ReLU-
AvgPool(28)-Linear(64, 64)-ReLU-Linear(64, 10) trained with Adam in batches of 256. The data
are random images of MNIST's shape (float32, 60,000 x 1 x 28 x 28) and random labels; each
batch is gathered from a shuffled index as a DataLoader does (the gather is timed too).

A full epoch is 1,875 (MLP) or 235 (CNN) steps: too long for a shared machine, so the time
per epoch is estimated from ``--batches`` consecutive batches: best of ``--repeat`` stretches
x batches per epoch. Ours, PyTorch at 1 thread and at 2 threads run interleaved stretch by
stretch, so all three see the same machine load; the estimate says how many batches it used.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

N_IMAGES = 60_000


def _mlp(lib):  # type: ignore[no-untyped-def]
    return lib.Sequential(lib.Flatten(), lib.Linear(784, 128), lib.ReLU(), lib.Linear(128, 10))


def _cnn(lib):  # type: ignore[no-untyped-def]
    return lib.Sequential(
        lib.Conv2d(1, 64, 3, padding=1),
        lib.ReLU(),
        lib.Conv2d(64, 64, 3, padding=1),
        lib.ReLU(),
        lib.AvgPool2d(28),
        lib.Flatten(),
        lib.Linear(64, 64),
        lib.ReLU(),
        lib.Linear(64, 10),
    )


MODELS = {
    "MLP 784-128-10, Adam, batch 32": (_mlp, 32),
    "CNN conv64-conv64, Adam, batch 256": (_cnn, 256),
}
COLUMNS = ("ours 1t", "ours 2t", "torch 1t", "torch 2t")


def _stepper(lib_name: str, make, images: np.ndarray, labels: np.ndarray, batch: int):  # type: ignore[no-untyped-def]
    """A function running ``count`` training steps from a running position in a shuffled order."""
    order = np.random.default_rng(0).permutation(len(images))
    pos = [0]
    if lib_name == "ours":
        from neurocanvas.core import Tensor, manual_seed, nn, optim

        manual_seed(0)
        model = make(nn)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()

        def step(idx: np.ndarray) -> None:
            opt.zero_grad()
            loss_fn(model(Tensor(images[idx])), Tensor(labels[idx])).backward()
            opt.step()

    else:
        import torch

        torch.manual_seed(0)
        model = make(torch.nn)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step(idx: np.ndarray) -> None:
            opt.zero_grad()
            loss_fn(model(torch.from_numpy(images[idx])), torch.from_numpy(labels[idx])).backward()
            opt.step()

    def run(count: int) -> None:
        for _ in range(count):
            if pos[0] + batch > len(order):
                pos[0] = 0
            step(order[pos[0] : pos[0] + batch])
            pos[0] += batch

    return run


def _time(fn: Callable[[int], None], count: int) -> float:
    start = time.perf_counter()
    fn(count)
    return (time.perf_counter() - start) / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="CNN batches per stretch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--threads", default="1,2", help="thread settings to time, e.g. 1 on a busy machine"
    )
    args = parser.parse_args(argv)
    settings = tuple(int(t) for t in args.threads.split(","))
    import torch
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    images = rng.standard_normal((N_IMAGES, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, N_IMAGES).astype(np.int64)
    print(f"{'seconds per epoch':36} {'batches':>8} " + " ".join(f"{c:>9}" for c in COLUMNS))
    for name, (make, batch) in MODELS.items():
        per_epoch = -(-N_IMAGES // batch)
        count = args.batches if batch >= 256 else args.batches * 8
        runners = {
            "ours": _stepper("ours", make, images, labels, batch),
            "torch": _stepper("torch", make, images, labels, batch),
        }
        best: dict[str, float] = {}
        for lib in runners:
            runners[lib](2)  # warm-up: allocations, optimizer state
        for _ in range(args.repeat):
            for threads in settings:
                with threadpool_limits(limits=threads, user_api="blas"):
                    key = f"ours {threads}t"
                    best[key] = min(best.get(key, np.inf), _time(runners["ours"], count))
                torch.set_num_threads(threads)
                key = f"torch {threads}t"
                best[key] = min(best.get(key, np.inf), _time(runners["torch"], count))
        cells = " ".join(f"{best.get(k, np.nan) * per_epoch:9.1f}" for k in COLUMNS)
        ours = min(v for k, v in best.items() if k.startswith("ours"))
        theirs = min(v for k, v in best.items() if k.startswith("torch"))
        print(f"{name:36} {count:>8} {cells}  (ratio best torch / best ours {theirs / ours:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
