"""An unexpected error becomes one line for the person and a log file with the details.

The traceback helps whoever fixes the bug, not the person running the command, so it goes to
a log in the platform's user log folder (``platformdirs``: ``~/.local/state/neurocanvas/log``
on Linux, ``~/Library/Logs/neurocanvas`` on macOS, ``%LOCALAPPDATA%\\neurocanvas\\Logs`` on
Windows) and the terminal gets what was being done and where the log is.
"""

from __future__ import annotations

import datetime
import os
import tempfile
import traceback
from pathlib import Path

import platformdirs

__all__ = ["LOG_NAME", "log_dir", "log_unexpected", "unexpected_error_line"]

LOG_NAME = "neurocanvas.log"


def log_dir() -> Path:
    """Where logs go: ``$NEUROCANVAS_LOG_DIR`` if set (tests, packagers), else the user's
    platform log folder."""
    override = os.environ.get("NEUROCANVAS_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir("neurocanvas", False))


def log_unexpected(doing: str, exc: BaseException) -> Path:
    """Append ``exc``'s traceback to the log; returns the log's path (a temp folder's when the
    user log folder cannot be written)."""
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    entry = f"--- {stamp} while {doing}\n{text}\n"
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        path = folder / LOG_NAME
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(entry)
            return path
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / LOG_NAME  # not writable anywhere: still name it


def unexpected_error_line(doing: str, exc: BaseException) -> str:
    """'unexpected error while training x.ncproj (ValueError: ...); details in /path/log'."""
    path = log_unexpected(doing, exc)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
    return f"unexpected error while {doing} ({what}); details in {path}"
