"""All-or-nothing file writes: a temporary file beside the target, then one rename.

Every file NeuroCanvas writes (projects, weights, exports) goes through :func:`atomic_write`,
so a full disk, a file-size limit or a crash half way leaves the previous file as it was:

- the temporary file lives in the target's own directory, because ``os.replace`` is atomic
  only within one file system;
- a symlink is followed (``os.path.realpath``), so saving through a link updates the file it
  points to and the link stays a link, as text editors do;
- the new file gets the permissions any new file would get (``0o666`` less the umask) or,
  when it replaces a file, that file's permissions; ``tempfile.mkstemp`` alone would make
  every saved file ``0600``;
- the data are flushed and ``fsync``-ed before the rename, so after a power cut the name
  never points at an empty file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "new_file_mode", "real_target", "remove_quietly"]


def real_target(path: str | os.PathLike[str]) -> Path:
    """Where writing to ``path`` should land: the end of any chain of symlinks."""
    return Path(os.path.realpath(os.fspath(path)))


def new_file_mode(existing: Path | None = None) -> int:
    """``existing``'s permission bits if it is a file, else ``0o666`` less the umask.

    The umask can only be read by setting it; it is put back at once. (``os.umask`` is
    process-wide; nothing else in NeuroCanvas creates files while a save runs.)
    """
    if existing is not None:
        try:
            return stat.S_IMODE(os.stat(existing).st_mode)
        except OSError:
            pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def remove_quietly(path: str | os.PathLike[str]) -> None:
    """Delete ``path`` if it exists; a file that cannot be removed is left (never raises)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[str], object], replace: bool = True
) -> Path:
    """Have ``write(tmp_path)`` fill a temporary file, then rename it onto ``path``.

    Parameters
    ----------
    path
        The file to create or replace; a symlink is followed to its target.
    write
        Writes the complete contents to the temporary path it is given (any exception aborts:
        the temporary file is removed and ``path`` is untouched).
    replace
        ``False`` refuses to replace an existing file (``FileExistsError``), for names that
        must be new, such as a project's versioned weights file.

    Returns
    -------
    Path
        The path actually written (the symlink's target when ``path`` is a link).

    Raises
    ------
    OSError
        From the file system (full disk, no permission, ...); nothing was changed.
    """
    target = real_target(path)
    existing = target if target.exists() else None
    if existing is not None and not replace:
        raise FileExistsError(f"{target} already exists")
    mode = new_file_mode(existing)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        remove_quietly(tmp)
        raise
    return target
