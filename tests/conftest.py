import os
import tempfile

# UI tests run without a screen (DESIGN §8).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Crash reports written by tests go to a temporary folder, never the real per-user log folder.
os.environ.setdefault("SHAKYO_LOG_DIR", tempfile.mkdtemp(prefix="shakyo-test-logs-"))
