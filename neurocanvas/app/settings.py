"""What the app remembers between sessions: window geometry, dock layout and recent files.

A thin wrapper over ``QSettings`` so the rest of the app never spells keys, and so tests can
hand in a ``QSettings`` on a temporary ini file and never touch a person's real settings.
Where the app keeps files of its own (autosaves) comes from platformdirs, the well-kept
library that knows each platform's rule (XDG on Linux, ~/Library on macOS, AppData on
Windows); ``NEUROCANVAS_DATA_DIR`` overrides it (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8
ORGANIZATION = "NeuroCanvas"
APPLICATION = "NeuroCanvas"
# Bump when the dock layout changes: the window's state is saved under a key with this number
# (and tagged with it), so a layout from an older release is never restored into a new one.
LAYOUT_VERSION = 3
GEOMETRY_KEY = f"window/v{LAYOUT_VERSION}/geometry"
STATE_KEY = f"window/v{LAYOUT_VERSION}/state"
RUN_SETTINGS_KEY = f"window/v{LAYOUT_VERSION}/runSettingsShown"
DATA_DIR_ENV = "NEUROCANVAS_DATA_DIR"


def data_dir() -> Path:
    """The folder for the app's own files (autosaves): platformdirs' user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APPLICATION, ORGANIZATION))


class AppSettings:
    """Typed access to the app's ``QSettings`` (the default store when none is given)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    # -- window -------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        return self._bytes(GEOMETRY_KEY)

    def window_state(self) -> QByteArray | None:
        return self._bytes(STATE_KEY)

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue(GEOMETRY_KEY, geometry)
        self.store.setValue(STATE_KEY, state)
        # Layouts of older versions can never be restored again: do not keep them around.
        self.store.remove("window/geometry")
        self.store.remove("window/state")
        self.store.sync()

    def run_settings_shown(self) -> bool | None:
        """Whether the training panel's run settings were unfolded; None when never saved."""
        value = self.store.value(RUN_SETTINGS_KEY)
        return None if value is None else str(value).lower() in ("true", "1")

    def save_run_settings_shown(self, shown: bool) -> None:
        self.store.setValue(RUN_SETTINGS_KEY, shown)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- recent files -------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """Recent project paths, newest first; files that no longer exist are left out."""
        value = self.store.value("files/recent", [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        paths = [str(v) for v in (value or []) if v]
        return [p for p in paths if Path(p).exists()]

    def add_recent_file(self, path: str | Path) -> list[str]:
        path = str(Path(path).resolve())
        paths = [p for p in self.recent_files() if p != path]
        paths.insert(0, path)
        del paths[MAX_RECENT:]
        self.store.setValue("files/recent", paths)
        self.store.sync()
        return paths

    def clear_recent_files(self) -> None:
        self.store.setValue("files/recent", [])
        self.store.sync()
