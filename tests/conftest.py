import os
import tempfile

# UI tests run without a screen (DESIGN §8).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Crash reports written by tests go to a temporary folder, never the real per-user log folder.
os.environ.setdefault("SHAKYO_LOG_DIR", tempfile.mkdtemp(prefix="shakyo-test-logs-"))

# PySide6 6.12 on CPython 3.11 drops references to None/True/False (shakyo_desk/ui/refcounts.py).
from shakyo_desk.ui.refcounts import pin_singletons  # noqa: E402

pin_singletons()
