"""Checks on everything an export will write, made before anything is written.

``export`` and ``train --export`` write a file (or a ``.py`` and its weights, or a training
folder); each of those files must not be the project's own (its file, weights, data) and,
unless ``--force``, must not exist yet: an export never replaces a file without being asked,
as ``neurocanvas new`` does not.
"""

from __future__ import annotations

from pathlib import Path

from neurocanvas.core.cli._common import CliError, Loaded, protected_files
from neurocanvas.core.io.export import contradicting_suffix
from neurocanvas.core.io.export_targets import export_files, own_file_refusal


def check_export_outputs(output: str, fmt: str, loaded: Loaded, force: bool) -> list[Path]:
    """Refuse, with one line naming the file, an export to ``output`` in format ``fmt`` that
    contradicts its suffix, would write one of the project's own files, or (without
    ``force``) would replace an existing file; returns the files it will write.

    Raises CliError; nothing has been written then.
    """
    mismatch = contradicting_suffix(output, fmt)
    if mismatch is not None:
        raise CliError(f"{mismatch} (nothing was written)")
    key = str(getattr(loaded.project, "dataset_key", "") or "")
    files = export_files(output, fmt, key)
    refusal = own_file_refusal(output, files, protected_files(loaded))
    if refusal is not None:
        raise CliError(refusal)
    if not force:
        for path in files:
            if path.exists():
                raise CliError(
                    f"{path} already exists: pass --force to overwrite it, or choose another "
                    "output path (nothing was written)"
                )
    return files
