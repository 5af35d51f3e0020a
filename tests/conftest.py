import os

# Qt must never need a screen in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Autosaves and other files of the app go to a private folder, never the user's data dir.
if "NEUROCANVAS_DATA_DIR" not in os.environ:
    import tempfile

    os.environ["NEUROCANVAS_DATA_DIR"] = tempfile.mkdtemp(prefix="neurocanvas-test-data-")
