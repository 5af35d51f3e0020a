"""Never losing work: a killed app's project comes back at the next start."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from neurocanvas.app.autosave import Autosaver, find_recoverable
from neurocanvas.app.settings import data_dir
from neurocanvas.core.io.examples import load_example

REPO = Path(__file__).resolve().parents[2]

# The app as a person runs it, in its own process, with one edit to lose; it prints a line
# after each autosave so the test knows when to kill it.
APP = """
import sys
from PySide6.QtCore import QSettings
from neurocanvas.app.main import make_application
from neurocanvas.app.main_window import MainWindow
from neurocanvas.app.settings import AppSettings

app = make_application([])
window = MainWindow(AppSettings(QSettings(sys.argv[1], QSettings.Format.IniFormat)))
window.open_example("linear-regression", ask=False)
window.document.editor.add_node("Tanh", (400.0, 300.0))
window.document.editor.rename(window.document.graph.node_by_name("tanh1").id, "precious")
window.autosaver.saved.connect(lambda path: print("autosaved", path, flush=True))
window.show()
app.exec()
"""


def run_and_kill_after_autosave(tmp_path: Path, data: Path) -> Path:
    env = {
        **os.environ,
        "NEUROCANVAS_DATA_DIR": str(data),
        "NEUROCANVAS_AUTOSAVE_MS": "200",
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(REPO),
    }
    settings = tmp_path / "settings.ini"
    proc = subprocess.Popen(
        [sys.executable, "-c", APP, str(settings)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        line = proc.stdout.readline() if ready else ""
        assert line.startswith("autosaved"), (line, proc.poll())
    finally:
        proc.kill()  # SIGKILL: no close event, no clean-up, as in a crash
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
    return Path(line.split(maxsplit=1)[1].strip())


def test_killed_app_offers_its_work_back_at_the_next_start(tmp_path, window_factory, dialogs):
    data = tmp_path / "data"
    autosave = run_and_kill_after_autosave(tmp_path, data)
    assert autosave.exists() and autosave.parent == data / "autosave"
    (left,) = find_recoverable(data)
    assert left.project_file == autosave and left.source is None  # an example: no file
    window = window_factory(example=None)
    dialogs.answer = QMessageBox.StandardButton.Yes
    assert window.offer_recovery(data)
    (kind, title, text) = dialogs[-1]
    assert kind == "question" and "did not close properly" in text
    assert window.document.graph.node_by_name("precious") is not None
    assert window.document.modified  # recovered work is not saved anywhere yet
    assert find_recoverable(data) == []  # offered once, not at every start


def test_discarding_a_recovery_deletes_the_autosave(tmp_path, window_factory, dialogs):
    data = tmp_path / "data"
    run_and_kill_after_autosave(tmp_path, data)
    window = window_factory(example=None)
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert not window.offer_recovery(data)
    assert find_recoverable(data) == [] and not list((data / "autosave").glob("*.ncproj"))


def test_several_crashed_sessions_are_offered_in_one_question(tmp_path, window_factory, dialogs):
    data = tmp_path / "data"
    for _ in range(2):
        run_and_kill_after_autosave(tmp_path, data)
    assert len(find_recoverable(data)) == 2
    window = window_factory(example=None)
    dialogs.answer = QMessageBox.StandardButton.Discard
    questions_before = sum(1 for kind, *_ in dialogs if kind == "question")
    assert not window.offer_recovery(data)
    asked = [text for kind, _, text in dialogs if kind == "question"][questions_before:]
    assert len(asked) == 1 and "1 older autosave" in asked[0] and "Discard deletes both" in asked[0]
    assert find_recoverable(data) == []


def test_a_clean_close_leaves_nothing_to_recover(window_factory, dialogs):
    window = window_factory()
    window.document.editor.add_node("ReLU", (300.0, 200.0))
    assert window.autosaver.save_now()
    assert window.autosaver.project_file.exists()
    assert find_recoverable(data_dir()) == []  # this session is alive: not a crash
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.close()
    assert not window.autosaver.project_file.exists()
    assert not window.autosaver.note_file.exists()


def test_a_clean_close_after_training_leaves_the_autosave_folder_empty(
    qtbot, window_factory, dialogs
):
    window = window_factory(epochs=2)
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=30_000)
    window.autosaver.save_now()  # a second save: a new weights file replaces the first
    folder = window.autosaver.folder
    assert list(folder.glob("*.weights-*.safetensors"))  # the run's weights were autosaved
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.close()
    assert sorted(p.name for p in folder.iterdir()) == []


def test_autosave_runs_on_the_timer_only_after_a_change(qtbot, tmp_path):
    project = load_example("linear-regression")
    saver = Autosaver(tmp_path, lambda: (project, None, None))
    saver.timer.setInterval(20)
    qtbot.wait(80)
    assert not saver.project_file.exists()
    saver.mark_dirty()
    with qtbot.waitSignal(saver.saved, timeout=2000):
        pass
    assert saver.project_file.exists() and not saver.dirty
    saver.finish()


def test_an_autosave_that_cannot_be_written_says_so(qtbot, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    saver = Autosaver(blocker, lambda: (load_example("linear-regression"), None, None))
    with qtbot.waitSignal(saver.failed) as failed:
        assert not saver.save_now()
    assert failed.args[0].startswith("Autosave failed")
    saver.timer.stop()


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    """Each test's windows autosave into its own folder."""
    monkeypatch.setenv("NEUROCANVAS_DATA_DIR", str(tmp_path / "session-data"))
