"""Write screenshots of the main window to docs/screenshots/ (for the README).

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py

Three moments: building a network (general-fit with a layer selected), a regression training
mid-run, and a classifier with its decision regions. Settings go to a temporary file, so the
script never touches a person's own NeuroCanvas settings.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZE = (1920, 1080)


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def wait_for(app: QApplication, condition, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    from neurocanvas.app.main import make_application
    from neurocanvas.app.main_window import MainWindow
    from neurocanvas.app.settings import AppSettings

    app = make_application([])
    store = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(AppSettings(store))
    window.resize(*SIZE)
    window.show()
    OUT.mkdir(parents=True, exist_ok=True)
    written = []

    def shot(name: str) -> None:
        settle(app)
        path = OUT / name
        window.grab().save(str(path))
        written.append(path)

    # 1. Building: general-fit, a hidden layer selected so the inspector shows its editors.
    window.open_example("general-fit", ask=False)
    settle(app)
    window.canvas.fit_to_view()
    node = window.document.graph.node_by_name("linear2")
    window.canvas.select_nodes([node.id])
    shot("building.png")

    # 2. Regression mid-run: the fit bends towards the sine, the loss falls.
    window.training_panel.epochs_spin.setValue(400)
    window.controller.train()
    wait_for(
        app,
        lambda: (
            window.controller.last_snapshot is not None
            and window.controller.last_snapshot.epoch >= 60
        ),
    )
    window.training_dock.raise_()
    shot("training-regression.png")
    window.controller.stop()
    wait_for(app, lambda: window.controller.run_thread is None)

    # 3. A classifier with its decision regions.
    window.document.undo_stack.setClean()
    window.open_example("spiral-classifier", ask=False)
    settle(app)
    window.canvas.fit_to_view()
    window.training_panel.epochs_spin.setValue(150)
    window.controller.train()
    wait_for(app, lambda: window.controller.state == "finished", timeout=180)
    shot("classifier.png")

    window.document.undo_stack.setClean()
    window.close()
    for path in written:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
