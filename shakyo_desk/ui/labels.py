"""Wrapped explanatory labels shared by the conference, handout and consent screens: a grey
hint, and boxed notices (information, caution, refusal, all clear) that never rely on colour
alone — the sentence says what it is."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

HINT = "color: #555;"
NOTICES = {
    "info": "color: #1f4e79; background: #eef4fa; border: 1px solid #c5d7ea; padding: 6px;",
    "caution": "color: #6b4a00; background: #fff8e1; border: 1px solid #e0b040; padding: 6px;",
    "refused": "color: #7a0016; background: #fdf1f2; border: 1px solid #e3a3ad; padding: 8px; font-weight: bold;",
    "warning": "color: #7a0016; background: #fdf1f2; border: 1px solid #e3a3ad; padding: 8px;",
    "ok": "color: #2f6b3a; background: #eef7ef; border: 1px solid #a9d3ae; padding: 8px; font-weight: bold;",
}


def hint_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT)
    return label


def set_notice(label: QLabel, kind: str | None) -> None:
    """Box ``label`` as a notice of ``kind`` (``None``: a plain grey hint)."""
    label.setStyleSheet(NOTICES[kind] if kind else HINT)


def notice_label(text: str, kind: str) -> QLabel:
    label = hint_label(text)
    set_notice(label, kind)
    return label
