"""Conv and pooling speed against PyTorch CPU on the same threads (run by hand, not a test).

    python benchmarks/conv_kernels.py [--threads 2] [--repeat 10]

Prints the median milliseconds per call for ours and torch's, and the median per-round speed
ratio torch/ours (>= 1 means we are faster). Two workloads from the Foundation issue:

* conv(64->64, 3x3, pad 1) forward + backward on a (32, 64, 28, 28) float32 batch;
* one SGD training step of conv(1->64)-ReLU-conv(64->64)-ReLU-AvgPool(28)-Linear(64,64)-
  ReLU-Linear(64,10) on a 28x28 batch of 32, with a mean-squared loss on one-hot targets so
  that only engine pieces every build has are needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable


def _set_threads(threads: int) -> None:
    # BLAS reads these when it loads, so they must be set before numpy is imported.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def _compare(ours: Callable[[], object], theirs: Callable[[], object], repeat: int) -> tuple:
    """Median ms of ours and torch's, and the median per-round speed ratio torch/ours.

    Rounds alternate ours and torch so that both see the same machine load (the team's
    machine is shared); the median round resists the bursts that a mean would not.
    """
    ours()
    theirs()
    times: list[tuple[float, float]] = []
    for _ in range(repeat):
        pair = []
        for fn in (ours, theirs):
            start = time.perf_counter()
            fn()
            pair.append((time.perf_counter() - start) * 1e3)
        times.append((pair[0], pair[1]))
    ours_ms = statistics.median(t[0] for t in times)
    torch_ms = statistics.median(t[1] for t in times)
    ratio = statistics.median(t[1] / t[0] for t in times)
    return ours_ms, torch_ms, ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    _set_threads(args.threads)

    import numpy as np  # noqa: PLC0415 - after the thread variables are set
    import torch  # noqa: PLC0415

    from neurocanvas.core._conv import avg_pool2d, conv2d  # noqa: PLC0415
    from neurocanvas.core.tensor import Tensor  # noqa: PLC0415

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    tf = torch.nn.functional

    # --- conv(64->64, 3x3, pad 1) forward + backward
    x = rng.standard_normal((32, 64, 28, 28)).astype(np.float32)
    w = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    b = np.zeros(64, dtype=np.float32)
    xo, wo, bo = (Tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

    def ours_conv() -> None:
        xo.grad = wo.grad = bo.grad = None
        conv2d(xo, wo, bo, padding=1).sum().backward()

    def torch_conv() -> None:
        xt.grad = wt.grad = bt.grad = None
        tf.conv2d(xt, wt, bt, padding=1).sum().backward()

    report("conv 64->64 3x3 fwd+bwd (32,64,28,28)", *_compare(ours_conv, torch_conv, args.repeat))

    # --- the same on raw arrays: the whole-batch im2col kernel (before) vs the chunks (now)
    from neurocanvas.core import _conv, _kernels  # noqa: PLC0415

    one = ((1, 1), (1, 1, 1, 1), (1, 1))

    def one_gemm() -> None:
        y, col = _conv.conv2d_forward(x, w, b, *one, 1)
        _conv.conv2d_backward(y, x.shape, w.shape, w, col, *one, 1, (True, True, True))

    def chunked() -> None:
        y = _kernels.conv2d_forward(x, w, b, *one)
        _kernels.conv2d_backward(y, x, w, x.shape, w.shape, *one, (True, True, True))

    ratio = _compare(chunked, one_gemm, args.repeat)
    print(
        f"{'kernels: chunked vs one big GEMM':38s} chunked {ratio[0]:7.1f} ms  one-GEMM "
        f"{ratio[1]:7.1f} ms  speed-up (median of rounds) {ratio[2]:4.2f}x"
    )

    # --- the CNN, one SGD step
    shapes = [(64, 1, 3, 3), (64,), (64, 64, 3, 3), (64,), (64, 64), (64,), (10, 64), (10,)]
    init = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    images = rng.standard_normal((32, 1, 28, 28)).astype(np.float32)
    target = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)]
    ours_p = [Tensor(a.copy(), requires_grad=True) for a in init]
    torch_p = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    images_o, target_o = Tensor(images), Tensor(target)
    images_t, target_t = torch.tensor(images), torch.tensor(target)

    def ours_step() -> None:
        c1, b1, c2, b2, l1, lb1, l2, lb2 = ours_p
        h = conv2d(images_o, c1, b1, padding=1).relu()
        h = conv2d(h, c2, b2, padding=1).relu()
        h = avg_pool2d(h, 28).flatten(1)
        h = (h @ l1.T + lb1).relu()
        loss = ((h @ l2.T + lb2 - target_o) ** 2).mean()
        for p in ours_p:
            p.grad = None
        loss.backward()
        for p in ours_p:
            p.array -= 0.01 * p.grad.array

    def torch_step() -> None:
        c1, b1, c2, b2, l1, lb1, l2, lb2 = torch_p
        h = tf.conv2d(images_t, c1, b1, padding=1).relu()
        h = tf.conv2d(h, c2, b2, padding=1).relu()
        h = tf.avg_pool2d(h, 28).flatten(1)
        h = (h @ l1.T + lb1).relu()
        loss = ((h @ l2.T + lb2 - target_t) ** 2).mean()
        for p in torch_p:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in torch_p:
                p -= 0.01 * p.grad

    report("CNN training step, batch 32, 28x28", *_compare(ours_step, torch_step, args.repeat))


def report(name: str, ours_ms: float, torch_ms: float, ratio: float) -> None:
    print(
        f"{name:38s} ours {ours_ms:7.1f} ms  torch {torch_ms:7.1f} ms  "
        f"speed vs torch (median of rounds) {ratio:4.2f}x"
    )


if __name__ == "__main__":
    main()
