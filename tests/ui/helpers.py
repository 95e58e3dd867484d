"""Typing like a person: ASCII through key presses, Japanese through the
input method's commit (what an IME sends when a word is confirmed)."""

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QInputMethodEvent


def type_text(qtbot, widget, text: str) -> None:
    widget.setFocus()
    chunk = ""

    def flush_ascii() -> None:
        nonlocal chunk
        if chunk:
            qtbot.keyClicks(widget, chunk)
            chunk = ""

    for ch in text:
        if ch.isascii():
            chunk += ch
        else:
            flush_ascii()
            event = QInputMethodEvent("", [])
            event.setCommitString(ch)
            QCoreApplication.sendEvent(widget, event)
    flush_ascii()


def click(qtbot, widget) -> None:
    """A left click on an enabled button (a disabled one is a test failure, not a silent no-op)."""
    from PySide6.QtCore import Qt

    assert widget.isEnabled(), widget.text()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
