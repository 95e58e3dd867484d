"""地域課題 register (issue 18), opened from the 支援ケース page: the same widget as the 地域
page's 地域課題 tab (ui/community_issues_tab.py) in a dialog, so there is one register on screen."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.i18n import tr
from shakyo_desk.ui.community_issues_tab import CommunityIssuesPanel
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import fit_to_screen


class CommunityIssuesDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("地域課題の一覧"))
        heading = QLabel(tr("地域課題の一覧"))
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.panel = CommunityIssuesPanel(ctx, self, today=today)
        # the panel's parts, as the 支援ケース page's tests and callers reach them
        self.table, self.title, self.district, self.note = (self.panel.table, self.panel.title, self.panel.district,
                                                            self.panel.note)
        self.add_button, self.errors = self.panel.add_button, self.panel.errors
        self.close_button = QPushButton(tr("閉じる"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.panel, 1)
        layout.addLayout(bottom)
        fit_to_screen(self, QSize(900, 600), settings=ctx.ui_settings, key="community_issues")
        self.panel.refresh()

    def load(self) -> None:
        self.panel.refresh()

    def reject(self) -> None:
        self.ctx.ui_settings.save_geometry("community_issues", self)
        super().reject()
