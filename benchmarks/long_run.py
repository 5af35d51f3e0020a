"""A long unthrottled run of ``general-fit`` in the real window: does anything grow?

    python benchmarks/long_run.py [--steps 1000000] [--every 100000] [--json]

Opens the main window (offscreen Qt), sets the epochs so the run lasts ``--steps`` steps
(general-fit: 300 samples, batch 32 -> 10 steps per epoch), presses Train and lets the
worker thread run at full speed with the live plots drawing as in normal use. A 250 ms
timer in the GUI thread reads the trainer's step counter; each time it passes a multiple of
``--every`` it prints the samples/s of that stretch, the process's resident memory (RSS,
from /proc/self/statm), the GUI thread's longest stall in that stretch (5 ms heartbeat) and
the points held by the loss plot. Flat columns mean nothing grows with the run's length.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STEPS_PER_EPOCH = 10  # general-fit: 300 samples in batches of 32 (last one short)
HEARTBEAT_MS = 5


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _points(curve: object) -> int:
    x = curve.getData()[0]  # type: ignore[attr-defined]
    return 0 if x is None else len(x)


def run(steps: int, every: int) -> list[dict[str, float]]:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from neurocanvas.app.main_window import MainWindow
    from neurocanvas.app.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = tempfile.mkdtemp()
    window = MainWindow(AppSettings(QSettings(f"{tmp}/s.ini", QSettings.Format.IniFormat)))
    window.open_example("general-fit", ask=False)
    window.show()
    for _ in range(20):
        app.processEvents()
    window.training_panel.epochs_spin.setValue(-(-steps // STEPS_PER_EPOCH))
    ctl = window.controller
    rows: list[dict[str, float]] = []
    mark = {"step": 0, "samples": 0, "t": time.perf_counter(), "stall": 0.0}
    last_beat = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        mark["stall"] = max(mark["stall"], now - last_beat[0] - HEARTBEAT_MS / 1000)
        last_beat[0] = now

    def sample() -> None:
        trainer = ctl.trainer
        if trainer is None or trainer.global_step < mark["step"] + every:
            return
        now, step, samples = time.perf_counter(), trainer.global_step, trainer.samples_done
        row = {
            "step": step,
            "samples_per_s": (samples - mark["samples"]) / (now - mark["t"]),
            "rss_mb": rss_mb(),
            "max_stall_ms": mark["stall"] * 1000,
            "loss_plot_points": _points(window.loss_plot.step_curve),
            "epoch_curve_points": _points(window.loss_plot.train_curve),
        }
        rows.append(row)
        print(
            f"step {step:>9,d}  {row['samples_per_s']:>9,.0f} samples/s  RSS "
            f"{row['rss_mb']:7.1f} MB  stall {row['max_stall_ms']:6.1f} ms  plot points "
            f"{row['loss_plot_points']:5d} step / {row['epoch_curve_points']:6d} epoch",
            flush=True,
        )
        mark.update(step=step - step % every, samples=samples, t=now, stall=0.0)

    heart = QTimer(interval=HEARTBEAT_MS)
    heart.timeout.connect(beat)
    probe = QTimer(interval=250)
    probe.timeout.connect(sample)
    loop = QEventLoop()
    ctl.state_changed.connect(lambda s: loop.quit() if s not in ("running", "paused") else None)
    rows.append({"step": 0, "samples_per_s": 0.0, "rss_mb": rss_mb()})
    print(f"start: RSS {rows[0]['rss_mb']:.1f} MB", flush=True)
    mark["t"] = time.perf_counter()
    heart.start()
    probe.start()
    ctl.train()
    loop.exec()
    heart.stop()
    probe.stop()
    window.maybe_save = lambda *_args, **_kwargs: True
    window.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = run(args.steps, args.every)
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
