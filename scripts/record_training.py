"""The default flow in a real window, for a person's eye and a stopwatch (Xvfb + xdotool).

    xvfb-run -a -s "-screen 0 1920x1080x24" bash scripts/record_training.sh

Opens the app at its default settings on the default example and writes the Train button's
screen position to ``$NC_REC/train_xy``; the shell script clicks it with xdotool (a real mouse
event) and screenshots the screen every second. This process logs, from the click on, each
epoch's training loss with its time, to ``$NC_REC/timeline.csv``.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer


def main() -> int:
    from neurocanvas.app.main import make_application
    from neurocanvas.app.main_window import MainWindow
    from neurocanvas.app.settings import AppSettings
    from neurocanvas.core.io.examples import default_example

    out = Path(os.environ.get("NC_REC", "/tmp/nc_rec"))
    out.mkdir(parents=True, exist_ok=True)
    app = make_application([])
    store = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(AppSettings(store))
    window.open_example(default_example(), ask=False)
    window.resize(1920, 1080)
    window.move(0, 0)
    window.show()
    rows: list[tuple[float, int, int, float]] = []
    started: list[float] = []

    def on_state(state: str) -> None:
        if state == "running" and not started:
            started.append(time.perf_counter())

    def on_frame(snap) -> None:
        if started and len(snap.train_loss) and (not rows or rows[-1][2] != snap.epoch):
            seconds = time.perf_counter() - started[0]
            rows.append((seconds, snap.step, snap.epoch, snap.train_loss[-1]))

    window.controller.state_changed.connect(on_state)
    window.controller.coalescer.updated.connect(on_frame)

    def publish() -> None:
        button = window.training_panel.train_button
        centre = button.mapToGlobal(button.rect().center())
        (out / "train_xy").write_text(f"{centre.x()} {centre.y()}\n")

    def finish() -> None:
        with (out / "timeline.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["seconds", "step", "epoch", "train_loss"])
            writer.writerows(rows)
        window.controller.stop()
        window.maybe_save = lambda *_a, **_k: True
        window.close()
        app.quit()

    QTimer.singleShot(3000, publish)
    QTimer.singleShot(int(float(os.environ.get("NC_REC_SECONDS", "40")) * 1000), finish)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
