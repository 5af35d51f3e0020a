"""Never lose more than a few minutes of work: autosave, and recovery after a crash.

Every few minutes (when something changed) and at the end of every training run, the open
project and its weights are written to ``<data dir>/autosave/<pid>.ncproj`` (the data dir is
platformdirs' user data dir, see ``app.settings.data_dir``), with a small JSON note beside it
(where the project came from, when). A clean exit deletes both. A note whose process is no
longer running was left by a crash (or a kill): the next start offers to recover it.

The files are ordinary project files written by ``core.io.project.save_project`` (atomic: a
crash during an autosave leaves the previous autosave whole).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from neurocanvas.core.io.project import (
    SUFFIX,
    Project,
    ProjectError,
    load_project,
    save_project,
    weights_file,
    weights_path,
)

INTERVAL_MS = 3 * 60 * 1000  # every three minutes, when something changed
INTERVAL_ENV = "NEUROCANVAS_AUTOSAVE_MS"  # a shorter interval (tests, the cautious)
FOLDER = "autosave"

Snapshot = Callable[[], tuple[Project, "dict[str, np.ndarray] | None", "Path | None"]]


@dataclass(frozen=True)
class Recoverable:
    """An autosave left by a session that did not end cleanly."""

    project_file: Path
    note_file: Path
    name: str  # the project's name as the person knew it
    source: Path | None  # the file it was opened from, if any
    saved_at: float  # seconds since the epoch

    def describe(self) -> str:
        when = time.strftime("%H:%M on %d %b", time.localtime(self.saved_at))
        return f"“{self.name}” (autosaved at {when})"


def autosave_dir(data_dir: Path) -> Path:
    return data_dir / FOLDER


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that id: not ours, but alive
        return True
    except OSError:
        return False
    return True


def find_recoverable(data_dir: Path) -> list[Recoverable]:
    """Autosaves whose session is gone (crashed or killed), newest first."""
    folder = autosave_dir(data_dir)
    found: list[Recoverable] = []
    for note in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            info = json.loads(note.read_text(encoding="utf-8"))
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a half-written note: its project file is judged on its own below
        project_file = note.with_suffix(SUFFIX)
        if _pid_alive(pid) or not project_file.exists():
            continue
        source = info.get("source")
        found.append(
            Recoverable(
                project_file,
                note,
                str(info.get("name") or "Untitled"),
                Path(source) if source else None,
                float(info.get("saved_at") or project_file.stat().st_mtime),
            )
        )
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def discard(item: Recoverable) -> None:
    """Delete an autosave (the person chose not to recover it, or it was recovered).

    Every file of it goes: the project, the versioned weights file it names
    (``<pid>.weights-<token>.safetensors``, see ``core.io.project.save_project``), any
    versioned weights file an interrupted save left beside it, the old fixed sidecar, the
    note and a half-written note.
    """
    project = item.project_file
    named = weights_file(project) if project.exists() else None
    stem = project.stem
    paths = [project, weights_path(project), item.note_file]
    paths.append(item.note_file.with_suffix(".json.tmp"))
    if named is not None and named.parent == project.parent:
        paths.append(named)
    if project.parent.is_dir():
        paths.extend(project.parent.glob(f"{stem}.weights-*.safetensors"))
    for path in dict.fromkeys(paths):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def load_recoverable(item: Recoverable) -> tuple[Project, dict[str, np.ndarray] | None]:
    """The autosaved project and weights (``ProjectError`` when the file is damaged)."""
    return load_project(item.project_file)


class Autosaver(QObject):
    """Writes ``snapshot()`` to this session's autosave file on a timer and on request.

    ``snapshot`` returns (project, weights or None, the file it came from or None). The timer
    only saves after :meth:`mark_dirty` (an edit, a finished run); :meth:`save_now` always does.

    Signals
    -------
    failed(str)
        An autosave could not be written (disk full, no permission): a plain sentence.
    """

    failed = Signal(str)
    saved = Signal(object)  # the autosave file's Path

    def __init__(self, data_dir: Path, snapshot: Snapshot, parent: QObject | None = None):
        super().__init__(parent)
        self.folder = autosave_dir(data_dir)
        self.snapshot = snapshot
        self.project_file = self.folder / f"{os.getpid()}{SUFFIX}"
        self.note_file = self.project_file.with_suffix(".json")
        self.dirty = False
        self.finished = False  # set by finish(): the window closed cleanly
        self.timer = QTimer(self)
        self.timer.setInterval(_interval_ms())
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def mark_dirty(self, *_: Any) -> None:
        self.dirty = True

    def _tick(self) -> None:
        if self.dirty:
            self.save_now()

    def save_now(self) -> bool:
        """Write the autosave now; False (and ``failed`` emitted) when it cannot be written.

        After :meth:`finish` nothing is written: a run's end reported while the window closes
        (the training thread's last message) must not leave an autosave behind.
        """
        if self.finished:
            return False
        try:
            project, weights, source = self.snapshot()
            self.folder.mkdir(parents=True, exist_ok=True)
            save_project(project, self.project_file, weights=weights)
            note = {
                "pid": os.getpid(),
                "name": project.name,
                "source": str(source) if source else None,
                "saved_at": time.time(),
            }
            tmp = self.note_file.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(note), encoding="utf-8")
            os.replace(tmp, self.note_file)
        except (ProjectError, OSError, RuntimeError, ValueError) as exc:
            self.failed.emit(f"Autosave failed: {exc}")
            return False
        self.dirty = False
        self.saved.emit(self.project_file)
        return True

    def finish(self) -> None:
        """A clean exit: stop the timer and delete this session's autosave."""
        self.finished = True
        self.timer.stop()
        discard(Recoverable(self.note_file.with_suffix(SUFFIX), self.note_file, "", None, 0.0))


def _interval_ms() -> int:
    try:
        return max(50, int(os.environ.get(INTERVAL_ENV, INTERVAL_MS)))
    except ValueError:
        return INTERVAL_MS
