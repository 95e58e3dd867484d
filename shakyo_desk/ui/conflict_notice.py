"""The household editor's line about its own 要確認 (fields two devices changed differently),
filled from the worker. Kept apart from the 要確認 page so the editor needs nothing of that page."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from shakyo_desk.i18n import tr
from shakyo_desk.store.exchange.conflicts import ConflictInfo, list_conflicts
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.sync_text import unique


def show_household_conflicts(ctx: AppContext, household_id: str, label: QLabel) -> None:
    """Fill ``label`` (e.g. in the household editor) with the household's open 要確認, if any."""
    label.setVisible(False)
    label.setWordWrap(True)
    label.setStyleSheet("background: #fff8e1; color: #9a5b00; font-weight: bold; border: 1px solid #e0b040; "
                        "padding: 6px;")

    def show(items: list[ConflictInfo]) -> None:
        if not items:
            return
        fields = unique(c.field_label if c.entity == "household" else f"{c.entity_label}の{c.field_label}"
                        for c in items)
        label.setText(tr("要確認：{fields}。別々の端末で違う内容に書き換えられています。"
                         "「要確認」の画面で、残す内容を選んでください。", fields="、".join(fields)))
        label.setVisible(True)

    ctx.executor.submit(list_conflicts, ctx.store, household_id, on_done=show, on_error=lambda _e: None, owner=label)
