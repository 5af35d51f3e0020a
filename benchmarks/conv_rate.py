"""The CNN's convolution work against the machine's sgemm rate (issue 11, part 1).

Times only the second convolution of the benchmark CNN (64->64, 3x3, padding 1, batch 32,
28x28: 3 x 1.85 GFLOP as a direct convolution, >99 % of the step's convolution work): its
forward pass and both gradients on raw arrays, through the kernel ``conv2d`` picks
(Winograd when numba is installed) and through the im2col kernels, plus PyTorch's
``conv2d`` forward + backward when installed; best of repeats at 1 and 2 BLAS threads,
interleaved. Reported: ms, GFLOP/s counted as a direct convolution (``5.55 GFLOP / time``),
and for Winograd the rate of its own matrix products alone (the GEMM work it really does),
each against the float32 1024x1024 sgemm rate measured in the same run.

``python -m benchmarks.conv_rate [--reps N]``; ``benchmarks.engine --best`` prints it too.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from neurocanvas.core import _conv, _kernels

SHAPE, OC, PADS = (32, 64, 28, 28), 64, (1, 1, 1, 1)
DIRECT_FLOP = 3 * 2 * SHAPE[0] * SHAPE[2] * SHAPE[3] * OC * SHAPE[1] * 9  # fwd, grad x, grad w


def _best(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _cases(torch: object | None) -> dict[str, tuple[Callable[[], object], float]]:
    """name -> (one forward + backward, FLOP it does); arrays made once, outside the timing."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    w = (rng.standard_normal((OC, SHAPE[1], 3, 3)) * 0.05).astype(np.float32)
    b = np.zeros(OC, np.float32)
    g = rng.standard_normal((SHAPE[0], OC, *SHAPE[2:])).astype(np.float32)
    need = (True, True, True)
    cases: dict[str, tuple[Callable[[], object], float]] = {}

    def im2col() -> None:
        _kernels.conv2d_forward(x, w, b, (1, 1), PADS, (1, 1))
        _kernels.conv2d_backward(g, x, w, x.shape, w.shape, (1, 1), PADS, (1, 1), need)

    cases["im2col (ours)"] = (im2col, DIRECT_FLOP)
    wino = _conv.winograd_module()
    if wino is not None:

        def winograd() -> None:
            # As in training: forward keeps its input tiles for the weight gradient.
            _, kept = wino.conv2d_forward(x, w, b, PADS, keep=True)
            wino.conv2d_backward(g, x, w, x.shape, w.shape, PADS, need, kept)

        cases["winograd (ours)"] = (winograd, DIRECT_FLOP)
        plan = wino._Plan(SHAPE, OC, PADS, np.float32)
        u = wino.filter_tiles(w, plan.f)
        v = rng.standard_normal((plan.a2, SHAPE[1], plan.tiles(plan.chunk))).astype(np.float32)
        m = np.empty((plan.a2, OC, v.shape[2]), np.float32)
        du, dv = np.empty_like(u[0]), np.empty_like(v[0])
        chunks = -(-SHAPE[0] // plan.chunk)

        def products() -> None:
            # The step's 3 x a2 products per chunk, on chunk-sized operands (as the kernel).
            for _ in range(chunks):
                for k in range(plan.a2):
                    np.matmul(u[k], v[k], out=m[k])
                    np.matmul(m[k], v[k].T, out=du)
                    np.matmul(u[k].T, m[k], out=dv)

        gemm_flop = 3 * 2 * plan.a2 * OC * SHAPE[1] * v.shape[2] * chunks
        cases["winograd GEMMs only"] = (products, gemm_flop)
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)  # type: ignore[attr-defined]
        tw = torch.tensor(w, requires_grad=True)  # type: ignore[attr-defined]
        tb = torch.tensor(b, requires_grad=True)  # type: ignore[attr-defined]
        tg = torch.tensor(g)  # type: ignore[attr-defined]

        def theirs() -> None:
            torch.nn.functional.conv2d(tx, tw, tb, padding=1).backward(tg)  # type: ignore[attr-defined]

        cases["torch"] = (theirs, DIRECT_FLOP)
    return cases


def sgemm_rate(size: int = 1024, reps: int = 7) -> float:
    """The machine's float32 matmul rate in GFLOP/s (numpy's BLAS, its own threads), best of."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    a @ b
    return 2 * size**3 / _best(lambda: a @ b, reps) / 1e9


Result = dict[str, tuple[float, dict[int, float]]]


def measure(reps: int = 7, torch: object | None = None) -> Result:
    """name -> (FLOP, {threads: best seconds}) for 1 and 2 threads, interleaved."""
    from threadpoolctl import threadpool_limits  # noqa: PLC0415 - benchmark-only dependency

    cases = _cases(torch)
    best: dict[str, dict[int, float]] = {name: {} for name in cases}
    for _ in range(reps):
        for threads in (1, 2):
            if torch is not None:
                torch.set_num_threads(threads)  # type: ignore[attr-defined]
            with threadpool_limits(limits=threads, user_api="blas"):
                for name, (fn, _) in cases.items():
                    t = _best(fn, 1)
                    best[name][threads] = min(best[name].get(threads, t), t)
    return {name: (cases[name][1], per) for name, per in best.items()}


def report(result: Result, sgemm: float) -> str:
    """Table: ms at 1 and 2 threads, the better GFLOP/s and its share of ``sgemm``."""
    lines = [
        f"conv 64->64 3x3 on (32, 64, 28, 28), forward + both gradients "
        f"({DIRECT_FLOP / 1e9:.2f} GFLOP as a direct convolution); sgemm {sgemm:.0f} GFLOP/s",
        "GFLOP/s counts a direct convolution's work (the products' own work for 'GEMMs only'): "
        "Winograd does 2.25x fewer multiply-adds, so its share of sgemm can pass 100 %",
        f"{'':<22} {'1t ms':>8} {'2t ms':>8} {'GFLOP/s':>8} {'of sgemm':>9}",
    ]
    for name, (flop, per) in result.items():
        rate = flop / min(per.values()) / 1e9
        lines.append(
            f"{name:<22} {per[1] * 1e3:8.1f} {per[2] * 1e3:8.1f} {rate:8.0f} {rate / sgemm:9.0%}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: PLC0415 - optional
    except ImportError:
        torch = None
    from threadpoolctl import threadpool_limits  # noqa: PLC0415 - benchmark-only dependency

    rates = []
    for k in (1, 2):
        with threadpool_limits(limits=k, user_api="blas"):
            rates.append(sgemm_rate())
    result = measure(args.reps, torch)
    print(report(result, max(rates)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
