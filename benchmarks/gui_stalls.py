"""Longest GUI-thread stall of the window's everyday actions (goal: none over 100 ms).

    python benchmarks/gui_stalls.py [--repeat 2] [--json]
    python benchmarks/gui.py --stalls          (the same)

In a fresh process (so the first digits example is opened with a cold cache, as a person
who just started the app does), the real main window (offscreen Qt) does, as a person would:
open every bundled example, choose every generated data set and the digits in the data set
panel, validate, refresh the code view, export in every format (the save dialog answered with
a temporary path), and save the project. For each action it reports the longest time the GUI
thread was busy: the largest gap of a 5 ms heartbeat timer from before the call until the
background work it started has finished (a blocking call delays the next beat by as long).
The worst of ``--repeat`` rounds is kept; round 1 is the cold one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 5
GOAL_MS = 100.0


def measure(app: object, window: object, action: Callable[[], object]) -> float:
    """Milliseconds the GUI thread was blocked by ``action`` and the work it started."""
    from PySide6.QtCore import QTimer

    gaps = [0.0]
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps[0] = max(gaps[0], now - last[0] - HEARTBEAT_MS / 1000)
        last[0] = now

    heart = QTimer(interval=HEARTBEAT_MS)
    heart.timeout.connect(beat)
    heart.start()
    # Only the heartbeat's gaps count: a call that blocks delays the next beat by as long, and
    # a call that waits in a local event loop (opening a project whose data load in the
    # background) keeps the beats coming, as the window keeps repainting.
    action()
    deadline = time.perf_counter() + 60
    # Let queued work (timers, background jobs and their completions) run as it would.
    while time.perf_counter() < deadline:
        app.processEvents()  # type: ignore[attr-defined]
        if not window.jobs.busy:  # type: ignore[attr-defined]
            break
        time.sleep(0.001)
    for _ in range(5):
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.002)
    heart.stop()
    return 1000 * gaps[0]


def run_round(app: object, window: object, tmp: Path) -> dict[str, float]:
    from PySide6.QtWidgets import QFileDialog

    from neurocanvas.core.io.examples import list_examples
    from neurocanvas.core.io.export import EXPORT_FORMATS

    results: dict[str, float] = {}
    w = window
    for example in list_examples():
        name = example.name
        results[f"open example {name}"] = measure(
            app, w, lambda name=name: w.open_example(name, ask=False)
        )
    panel = w.dataset_panel
    for key in ("sine", "spirals", "blobs", "formula", "digits"):
        index = panel.combo.findData(key)
        results[f"data set {key}"] = measure(
            app, w, lambda index=index: panel.combo.setCurrentIndex(index)
        )
    w.open_example("digits-cnn", ask=False)
    measure(app, w, lambda: None)
    results["validate (digits-cnn)"] = measure(app, w, w.validate)
    results["refresh code (digits-cnn)"] = measure(app, w, w.refresh_code)
    for fmt in EXPORT_FORMATS:
        target = tmp / f"model-{fmt}{EXPORT_FORMATS[fmt].suffix}"
        QFileDialog.getSaveFileName = staticmethod(lambda *a, t=target, **k: (str(t), ""))
        results[f"export {fmt} (digits-cnn)"] = measure(
            app, w, lambda fmt=fmt: w.export_dialog(fmt)
        )
    results["save project (digits-cnn)"] = measure(app, w, lambda: w.save_to(tmp / "p.ncproj"))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from neurocanvas.app.main_window import MainWindow
    from neurocanvas.app.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp())
    window = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)))
    window.show()
    app.processEvents()
    rounds = [run_round(app, window, tmp) for _ in range(args.repeat)]
    window.maybe_save = lambda *_a, **_k: True
    window.close()
    worst = {k: max(r[k] for r in rounds) for k in rounds[0]}
    if args.json:
        print(json.dumps({"rounds": rounds, "worst": worst}))
        return 0
    print(f"{'action':42} " + " ".join(f"{f'round {i + 1}':>9}" for i in range(len(rounds))))
    for key in rounds[0]:
        cells = " ".join(f"{r[key]:7.1f}ms" for r in rounds)
        flag = "" if worst[key] <= GOAL_MS else "  > 100 ms"
        print(f"{key:42} {cells}{flag}")
    top = max(worst, key=worst.__getitem__)
    print(f"\nlongest GUI-thread stall: {worst[top]:.1f} ms ({top}); goal <= {GOAL_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
