"""Widgets shared by the first-run wizard's pages (``wizard`` and ``wizard_join``): the grey
hint under a field, and a new passphrase typed twice with its strength hint."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit

from shakyo_desk.i18n import tr
from shakyo_desk.ui.setup_state import passphrase_strength

STRENGTH_COLOURS = {0: "#b00020", 1: "#b35c00", 2: "#5a6b00", 3: "#1b7a1b"}


def hint_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("QLabel { color: #444; } QLabel:disabled { color: #9a9a9a; }")
    return label


def show_strength(label: QLabel, passphrase: str) -> None:
    """The passphrase strength hint under a new passphrase (empty while nothing is typed)."""
    if passphrase:
        score, text = passphrase_strength(passphrase)
        label.setText(tr("強さ：") + text)
        label.setStyleSheet(f"color: {STRENGTH_COLOURS[score]};")
    else:
        label.setText("")


def passphrase_fields() -> tuple[QLineEdit, QLineEdit, QLabel]:
    """A new passphrase typed twice (hidden) and the label for its strength hint."""
    first, again = QLineEdit(), QLineEdit()
    for edit in (first, again):
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    strength = QLabel()
    strength.setWordWrap(True)
    return first, again, strength


def add_passphrase_rows(form: QFormLayout, first: QLineEdit, again: QLineEdit, strength: QLabel) -> None:
    form.addRow(tr("パスフレーズ"), first)
    form.addRow(tr("パスフレーズ（確認）"), again)
    form.addRow("", strength)
