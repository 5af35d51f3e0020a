"""Screenshots of the real window at 1366x768, 1440x810 and 1920x1080, light and dark: idle
with a layer selected, while training (the default example, default settings) and after a
divergence (lr 10), clicked with a real mouse (xdotool) on an X server of that size.

Usage (needs Xvfb, xdotool and ImageMagick's ``import``)::

    python scripts/layout_shots.py OUTDIR [DISPLAY_NUMBER]

Per size it starts ``Xvfb :N -screen 0 WxHx24``; per palette it starts the app through its
real entry point (``neurocanvas.launcher.main``) with :data:`APP`, which only makes the window
fill the screen (there is no window manager to maximise it), answers the app's question
whether the desktop is dark, and writes
where the controls are so that the mouse can find them. It also times Ctrl+Q to the process's
exit. The layout tests (tests/app/test_layout_sizes.py, test_right_column.py) check the same
states with geometry assertions; these images are for a person to look at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = [(1366, 768), (1440, 810), (1920, 1080)]

APP = r"""
import json, os, sys
from PySide6.QtCore import QPoint, QTimer
import neurocanvas.app.main as app_main
import neurocanvas.app.main_window as mw
from neurocanvas import launcher

scheme, targets = sys.argv[1], sys.argv[2]
shown = mw.MainWindow.show

def centre(widget):
    p = widget.mapToGlobal(QPoint(widget.width() // 2, widget.height() // 2))
    return [p.x(), p.y()]

def where(w):
    node = w.document.graph.node_by_name("linear2")
    item = w.canvas.node_items[node.id]
    title = item.mapToScene(item.boundingRect().center().x(), 8)  # its title bar
    at = w.canvas.viewport().mapToGlobal(w.canvas.mapFromScene(title))
    spots = {
        "train": centre(w.training_panel.train_button),
        "lr": centre(w.training_panel.lr.entry),
        "node": [at.x(), at.y()],
        "state": w.controller.state,
    }
    with open(targets + ".tmp", "w") as fh:
        json.dump(spots, fh)
    os.replace(targets + ".tmp", targets)  # never read half written

# As on a desktop set to dark: the app reads the system's colour scheme at start-up.
app_main.system_is_dark = lambda app: scheme == "dark"

def show(w):
    screen = w.screen().geometry()
    w.setGeometry(screen)
    shown(w)
    w.controller.state_changed.connect(lambda *_: where(w))
    QTimer.singleShot(2500, lambda: where(w))

mw.MainWindow.show = show
launcher.main(["general-fit"])
"""


def sh(*args: str, env: dict | None = None) -> str:
    return subprocess.run(args, env=env, capture_output=True, text=True).stdout.strip()


def wait_for(test, timeout: float = 60.0, every: float = 0.25):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = test()
        if value:
            return value
        time.sleep(every)
    return None


class Session:
    """One app process on display ``:n`` in ``scheme``."""

    def __init__(self, n: int, scheme: str, work: Path):
        self.env = {
            **os.environ,
            "DISPLAY": f":{n}",
            "PYTHONPATH": str(ROOT),
            "NEUROCANVAS_DATA_DIR": str(work / "data"),
            "XDG_CONFIG_HOME": str(work / "config"),
        }
        self.env.pop("QT_QPA_PLATFORM", None)
        self.targets = work / "targets.json"
        driver = work / "driver.py"
        driver.write_text(APP)
        self.proc = subprocess.Popen(
            [sys.executable, str(driver), scheme, str(self.targets)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(work / "app.log", "w"),
        )
        wait_for(self.targets.exists)
        time.sleep(1.0)

    def spot(self, name: str):
        return json.loads(self.targets.read_text())[name]

    def click(self, x: int, y: int, double: bool = False) -> None:
        sh("xdotool", "mousemove", "--sync", str(x), str(y), env=self.env)
        time.sleep(0.2)
        sh("xdotool", "click", *(["--repeat", "2"] if double else []), "1", env=self.env)

    def keys(self, *keys: str) -> None:
        sh("xdotool", "key", "--delay", "60", *keys, env=self.env)

    def type(self, text: str) -> None:
        sh("xdotool", "type", "--delay", "60", text, env=self.env)

    def shot(self, path: Path) -> None:
        sh("import", "-window", "root", str(path), env=self.env)
        print("saved", path, flush=True)

    def quit_seconds(self) -> float:
        """Ctrl+Q (no dialog: nothing unsaved) to the process's exit."""
        x, y = self.spot("node")
        self.click(x, y - 120)  # empty canvas: with no window manager a closed dialog
        time.sleep(0.5)  # leaves the keyboard focus nowhere
        start = time.monotonic()
        self.keys("ctrl+q")
        self.proc.wait(timeout=60)
        return time.monotonic() - start

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def shoot(out: Path, display: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        xvfb = subprocess.Popen(
            ["Xvfb", f":{display}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.5)
        try:
            for scheme in ("light", "dark"):
                tag = f"{width}x{height}-{scheme}"
                with tempfile.TemporaryDirectory() as work:
                    app = Session(display, scheme, Path(work))
                    try:
                        app.click(*app.spot("node"))  # the inspector shows linear2
                        time.sleep(1.0)
                        app.shot(out / f"{tag}-idle.png")
                        app.click(*app.spot("train"))  # default settings, default pace
                        time.sleep(6.0)
                        app.shot(out / f"{tag}-training.png")
                        app.keys("shift+F5")  # Stop
                        time.sleep(1.0)
                        app.click(*app.spot("lr"), double=True)
                        app.keys("ctrl+a")
                        app.type("10")
                        app.keys("Return")
                        app.click(*app.spot("train"))
                        wait_for(lambda a=app: a.spot("state") == "diverged", timeout=60)
                        time.sleep(1.0)
                        app.shot(out / f"{tag}-diverged.png")
                    finally:
                        app.kill()
        finally:
            xvfb.kill()
            xvfb.wait()


def time_quit(display: int, training: bool) -> float:
    """Seconds from Ctrl+Q to the process's exit on a 1366x768 screen."""
    xvfb = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    try:
        with tempfile.TemporaryDirectory() as work:
            app = Session(display, "light", Path(work))
            try:
                if training:
                    app.click(*app.spot("train"))
                    wait_for(lambda: app.spot("state") == "running", timeout=30)
                    time.sleep(2.0)
                return app.quit_seconds()
            finally:
                app.kill()
    finally:
        xvfb.kill()
        xvfb.wait()


def check_files(display: int) -> None:
    """Train, stop (the run's end autosaves), save with Ctrl+S through the file dialog, and
    print each written file's mode; then Ctrl+Q and the time to the process's exit."""
    xvfb = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    try:
        with tempfile.TemporaryDirectory() as work:
            app = Session(display, "light", Path(work))
            try:
                app.click(*app.spot("train"))
                wait_for(lambda: app.spot("state") == "running", timeout=30)
                time.sleep(3.0)
                app.keys("shift+F5")
                wait_for(lambda: app.spot("state") == "stopped", timeout=30)
                time.sleep(1.0)
                for path in sorted(Path(work, "data").rglob("*.*")):
                    print(f"{path.stat().st_mode & 0o777:o} {path.relative_to(work)}")
                Path(work, "saved").mkdir()
                app.keys("ctrl+s")
                time.sleep(2.0)
                app.type(str(Path(work, "saved", "mine.ncproj")))
                app.keys("Return")
                time.sleep(2.0)
                for path in sorted(Path(work).glob("*/mine*")):
                    print(f"{path.stat().st_mode & 0o777:o} {path.relative_to(work)}")
                app.shot(Path(work).parent / "layout-before-quit.png")
                print(f"quit after saving: {app.quit_seconds():.3f} s")
            finally:
                app.kill()
    finally:
        xvfb.kill()
        xvfb.wait()


if __name__ == "__main__":
    display = int(sys.argv[2]) if len(sys.argv) > 2 else 95
    if len(sys.argv) > 3 and sys.argv[3] == "files":
        check_files(display)
    elif len(sys.argv) > 3 and sys.argv[3] == "quit":
        for training in (False, True, False, True):
            print("training" if training else "idle", f"{time_quit(display, training):.3f} s")
    else:
        shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "shots"), display)
