"""Load a Kaggle-MNIST-sized CSV (42,000 rows x 785 columns, ~71 MB): ours against pandas.

Run ``python -m benchmarks.csv_load`` (``--rows N`` for a smaller file, ``--repeat K``).
Each measurement runs in a fresh subprocess so peak memory is the process's own high-water
mark (``ru_maxrss``) above what it held after the imports: the C parser's buffers are not
Python allocations, so ``tracemalloc`` alone would miss them. Runs alternate (pandas, ours,
pandas, ours...) so both see the same machine load; the table gives medians.

* pandas: ``pd.read_csv(path)``, nothing else.
* ours: ``make_dataset("csv", ...)`` (sniffing, float32 parse, checks, standardising, the
  train/validation split), i.e. everything the app does before training.

Goals (issue 8): time <= 3x pandas, peak memory <= 3x the loaded array (x float32 + y).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
import numpy as np
import pandas as pd
from neurocanvas.core.datasets import make_dataset
path, which = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if which == "pandas":
    frame = pd.read_csv(path)
    size = frame.memory_usage(index=False).sum()
else:
    ds = make_dataset("csv", {"path": path, "target_column": "label", "task": "classification"})
    size = sum(a.nbytes for a in (ds.x_train, ds.x_val, ds.y_train, ds.y_val))
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "result_mb": size / 2**20}))
"""


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """label,pixel0..pixel783 with MNIST-like sparsity (80 % zeros), integers 0..255."""
    rng = np.random.default_rng(seed)
    with path.open("w") as fh:
        fh.write("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n")
        for start in range(0, rows, 2000):
            n = min(2000, rows - start)
            pixels = rng.integers(0, 256, size=(n, 784)) * (rng.random((n, 784)) < 0.2)
            block = np.concatenate([rng.integers(0, 10, size=(n, 1)), pixels], axis=1)
            fh.write("\n".join(",".join(map(str, r)) for r in block.tolist()) + "\n")


def measure(path: Path, which: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), which],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=42_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        results: dict[str, list[dict[str, float]]] = {"pandas": [], "ours": []}
        for _ in range(args.repeat):
            for which in results:
                results[which].append(measure(path, which))
    loaded_mb = args.rows * 784 * 4 / 2**20 + args.rows * 8 / 2**20
    med = {w: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for w, rs in results.items()}
    print(
        f"file: {args.rows} rows x 785 columns, {size_mb:.1f} MB; loaded array {loaded_mb:.1f} MB"
    )
    print(f"{'':8} {'seconds':>8} {'peak MB':>8} {'result MB':>9}")
    for which, m in med.items():
        print(f"{which:8} {m['seconds']:8.2f} {m['peak_mb']:8.0f} {m['result_mb']:9.1f}")
    ratio_t = med["ours"]["seconds"] / med["pandas"]["seconds"]
    ratio_m = med["ours"]["peak_mb"] / loaded_mb
    print(
        f"time ours/pandas: {ratio_t:.2f} (goal <= 3); peak/loaded array: {ratio_m:.2f} (goal <= 3)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
