import os

# UI tests run without a screen (DESIGN §8).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
