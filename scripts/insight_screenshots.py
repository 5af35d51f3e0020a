"""Screenshots of the views inside training (issue 13) to docs/screenshots/insight-*.png.

    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/insight_screenshots.py

Six moments, driven through the window's widgets and its editor (so every edit is an undo
command): a deep sigmoid net that stalls (thin blue bands, a "vanishing" badge with its
tooltip), a learning rate raised until the run explodes (thick red bands), the learning-rate
finder, one batch stepped through a CNN, a node's output preview and a layer's histograms.
Tooltips are real tooltip windows, so the shots are grabbed from the screen.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QToolTip
from screenshots import settle, wait_for  # one pair of waiting helpers for both scripts

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZE = (1600, 1000)


def deep_sigmoid(window, depth: int = 8) -> None:
    """Replace the hidden layers of the open example by ``depth`` x (Linear 16, Sigmoid)."""
    from neurocanvas.core.io.examples import COLUMN

    editor, graph = window.document.editor, window.document.graph
    inp = graph.node_by_name("input").id
    out = graph.node_by_name("output").id
    with editor.macro("deep sigmoid chain"):
        editor.remove([n for n in graph.nodes if n not in (inp, out)])
        prev, col = inp, 1
        for _ in range(depth):
            lin = editor.add_node("Linear", (col * COLUMN * 0.8, 0.0), {"out_features": 16})
            sig = editor.add_node("Sigmoid", ((col + 1) * COLUMN * 0.8, 0.0))
            editor.connect(prev, "out", lin, "in")
            editor.connect(lin, "out", sig, "in")
            prev, col = sig, col + 2
        head = editor.add_node("Linear", (col * COLUMN * 0.8, 0.0), {"out_features": 1})
        editor.connect(prev, "out", head, "in")
        editor.connect(head, "out", out, "in")
        old = graph.nodes[out].pos
        editor.move_nodes({out: (old, ((col + 1) * COLUMN * 0.8, 0.0))})


def hover_badge(window, node_id: str) -> None:
    """Show the badge's tooltip where the mouse would be over it."""
    overlay = window.insight.health_overlay
    item = window.canvas.canvas_scene.node_items[node_id]
    badge = overlay.badges[item]
    view_pos = window.canvas.mapFromScene(badge.scenePos())
    QToolTip.showText(window.canvas.viewport().mapToGlobal(view_pos), badge.toolTip())


def main() -> int:
    from neurocanvas.app.main import make_application
    from neurocanvas.app.main_window import MainWindow
    from neurocanvas.app.settings import AppSettings

    app = make_application([])
    store = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(AppSettings(store))
    window.maybe_save = lambda *_a, **_k: True  # a script has nothing to save
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    OUT.mkdir(parents=True, exist_ok=True)
    ins, ctl = window.insight, window.controller

    def shot(name: str, screen: bool = False) -> None:
        settle(app)
        image = app.primaryScreen().grabWindow(0, 0, 0, *SIZE) if screen else window.grab()
        image.save(str(OUT / name))
        print("wrote", OUT / name)

    # 1. A deep sigmoid chain on the sine: gradients vanish on their way back.
    window.open_example("general-fit", ask=False)
    settle(app)
    deep_sigmoid(window)
    window.training_panel.epochs_spin.setValue(400)
    settle(app)
    # zoom 1 on the input end of the chain, where the gradient has all but vanished
    window.canvas.setTransform(QTransform())
    window.canvas.centerOn(
        window.canvas.canvas_scene.node_items[window.document.graph.node_by_name("linear2").id]
    )
    ctl.train()
    wait_for(app, lambda: ctl.trainer is not None and ctl.trainer.global_step > 300)
    ctl.pause()
    settle(app, 0.8)
    first = next(n.id for n in window.document.graph.nodes.values() if n.type == "Linear")
    hover_badge(window, first)
    shot("insight-vanishing.png", screen=True)
    QToolTip.hideText()
    ctl.stop()

    # 2. A learning rate far too large (8): within a few steps the gradients explode and the
    # divergence guard stops the run.
    window.open_example("general-fit", ask=False)
    settle(app)
    window.canvas.fit_to_view()
    window.training_panel.lr.set_value(8.0)
    ctl.train()
    wait_for(app, lambda: ctl.state not in ("running", "paused"))
    settle(app, 0.5)
    exploding = [
        nid
        for nid, badges in ins.health_overlay.result["badges"].items()
        if any(b["kind"] == "exploding" for b in badges)
    ]
    if exploding:
        hover_badge(window, exploding[0])
    shot("insight-exploding.png", screen=True)
    QToolTip.hideText()

    # 3. The learning-rate finder on general-fit.
    window.open_example("general-fit", ask=False)
    settle(app)
    dialog = ins.open_lr_finder()
    dialog.move(460, 160)
    ins.run_lr_finder()
    wait_for(app, lambda: dialog.apply_button.isEnabled())
    shot("insight-lr-finder.png", screen=True)
    dialog.hide()

    # 4. One batch stepped through the digits CNN: the forward pass, node by node.
    window.open_example("digits-cnn", ask=False)
    settle(app)
    window.results_tabs.setCurrentWidget(ins.stepper_panel)
    window.canvas.fit_to_view()
    ins.trace_batch(0)
    wait_for(app, lambda: ins.stepper_panel.trace is not None)
    ins.stepper_panel.set_stage("forward")
    window.canvas.fit_to_view()
    shot("insight-step-forward.png")
    ins.stepper_panel.set_stage("backward")
    shot("insight-step-backward.png")
    ctl.stop()

    # 5. A node's output on one sample, live while the CNN trains; then a layer's histograms.
    window.open_example("digits-cnn", ask=False)
    settle(app)
    window.canvas.fit_to_view()
    window.results_tabs.setCurrentWidget(ins.preview_panel)
    ins.preview_panel.sample_spin.setValue(5)
    window.canvas.select_nodes([window.document.graph.node_by_name("conv2").id])
    ctl.train()
    wait_for(app, lambda: ctl.last_snapshot is not None and ctl.last_snapshot.epoch >= 2, 180)
    shot("insight-preview.png")
    window.canvas.select_nodes([window.document.graph.node_by_name("conv1").id])
    window.results_tabs.setCurrentWidget(ins.histogram_panel)
    wait_for(app, lambda: ctl.last_snapshot.epoch >= 4, 180)
    ctl.pause()
    settle(app, 0.5)
    shot("insight-histograms.png")
    ctl.shutdown()
    ins.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
