"""Write screenshots of the main window to docs/screenshots/ (for the README).

    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/screenshots.py

Four moments at a 1920x1080 desktop size: building a network (a new project part-built, one
layer that does not fit shown red, its editors in the inspector), a regression training mid-run
after a learning-rate change (nothing selected: the inspector shows the network summary), a
classifier with its decision regions (the Data set tab in front, with its preview), and the
digits CNN with its confusion matrix. The app
is driven through its public widgets and undo commands, as a person's clicks would. Settings go
to a temporary file, so the script never touches a person's own NeuroCanvas settings.
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


def epoch(window) -> int:
    snap = window.controller.last_snapshot
    return -1 if snap is None else snap.epoch


def build_network(window) -> None:
    """New project, then Input -> Linear -> ReLU -> Linear -> Output and a misplaced Conv2d.

    Every edit goes through the canvas or an undo command, so it is what a person's drops and
    drags would make (and Edit > Undo would take it back).
    """
    from PySide6.QtCore import QPointF

    from neurocanvas.app.commands import ConnectCommand, MoveNodesCommand, SetParamCommand
    from neurocanvas.core.io.examples import COLUMN, ROW
    from neurocanvas.widgets.canvas.items import HEADER_HEIGHT, NODE_WIDTH

    window.new_project()
    graph, stack, canvas = window.document.graph, window.document.undo_stack, window.canvas
    inp = graph.node_by_name("input").id
    out = graph.node_by_name("output").id

    def drop(layer_type: str, col: float, row: float = 0.0) -> str:
        # add_layer centres the header on the point, as a drop from the palette does
        at = QPointF(col * COLUMN + NODE_WIDTH / 2, row * ROW + HEADER_HEIGHT / 2)
        return canvas.add_layer(layer_type, at)

    hidden = drop("Linear", 1)
    act = drop("ReLU", 2)
    head = drop("Linear", 3)
    conv = drop("Conv2d", 3, 1)
    # New Project keeps the data set but not its shapes (see the report): set them as the
    # inspector would.
    stack.push(SetParamCommand(graph, inp, "shape", (2,)))
    stack.push(SetParamCommand(graph, out, "loss", "cross_entropy"))
    stack.push(SetParamCommand(graph, head, "out_features", 2))
    old = graph.nodes[out].pos
    stack.push(MoveNodesCommand(graph, {out: (old, (4 * COLUMN, 0.0))}))
    for a, b in [(inp, hidden), (hidden, act), (act, head), (head, out), (act, conv)]:
        stack.push(ConnectCommand(graph, a, "out", b, "in"))
    window.validate()
    canvas.select_nodes([conv])  # the inspector shows its editors; the node stays red


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

    # 1. Building: a new project on the spirals data, part-built through the canvas and undo
    # commands; a Conv2d wired onto 1-D features is red and listed under Problems.
    window.open_example("spiral-classifier", ask=False)
    settle(app)
    build_network(window)
    settle(app)
    window.canvas.fit_to_view()
    shot("building.png")

    # 2. Regression mid-run: start slow, raise the learning rate (a marker on the loss plot),
    # and catch the fitted curve while it still bends towards the sine.
    window.open_example("general-fit", ask=False)
    settle(app)
    window.training_panel.lr.set_value(0.0005)
    window.training_panel.epochs_spin.setValue(400)
    window.controller.train()
    wait_for(app, lambda: epoch(window) >= 15)
    window.training_panel.lr.set_value(0.003)  # the slider, as a person would move it
    wait_for(app, lambda: epoch(window) >= 25)
    window.controller.pause()
    shot("training-regression.png")
    window.controller.stop()
    wait_for(app, lambda: window.controller.run_thread is None)

    # 3. A classifier with its decision regions.
    window.document.undo_stack.setClean()
    window.open_example("spiral-classifier", ask=False)
    settle(app)
    window.training_panel.epochs_spin.setValue(150)
    window.training_panel.speed.set_pace(None)  # the speed slider at its end: unthrottled
    window.controller.train()
    wait_for(app, lambda: window.controller.state == "finished", timeout=180)
    window.dataset_dock.raise_()  # the data set and its preview beside the decision regions
    shot("classifier.png")
    window.inspector_dock.raise_()

    # 4. The digits CNN: confusion matrix and sample predictions.
    window.document.undo_stack.setClean()
    window.open_example("digits-cnn", ask=False)
    settle(app)
    window.training_panel.speed.set_pace(None)
    window.controller.train()
    wait_for(app, lambda: window.controller.state == "finished", timeout=240)
    shot("digits-cnn.png")

    window.document.undo_stack.setClean()
    window.close()
    for path in written:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
