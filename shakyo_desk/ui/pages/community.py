"""地域 page (issue 19): the community side in one place, one tab per register. Each tab is a
widget with ``refresh()``; the page refreshes the tab on show and after a change of the
kinds it lists (``ui.events``), so a hidden tab costs nothing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from shakyo_desk.i18n import tr
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.events import COMMUNITY, HOUSEHOLD, REGISTER, keep_fresh, on



def _support_map(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.support_map_view import SupportMapTab

    return SupportMapTab(ctx)


def _ties(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.community_ties_tab import CommunityTiesTab

    return CommunityTiesTab(ctx)


def _supporters(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.supporters_tab import SupportersTab

    return SupportersTab(ctx)


def _activities(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.activities_tab import ActivitiesTab

    return ActivitiesTab(ctx)


def _community_issues(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.community_issues_tab import CommunityIssuesPanel

    return CommunityIssuesPanel(ctx)


# (title, factory). Tabs are built when the page is; each loads in the worker on refresh().
TABS: list[tuple[str, Callable[[AppContext], QWidget]]] = [
    ("支え合いマップ", _support_map), ("支え合い", _ties), ("担い手", _supporters),
    ("地域活動", _activities), ("地域課題", _community_issues),
]


class CommunityPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for title, factory in TABS:
            self.tabs.addTab(factory(ctx), tr(title))
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        keep_fresh(self, ctx.events, on(COMMUNITY, HOUSEHOLD, REGISTER))

    def show_tab(self, title: str) -> QWidget:
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == tr(title):
                self.tabs.setCurrentIndex(index)
                return self.tabs.widget(index)
        raise KeyError(title)

    def refresh(self) -> None:
        current = self.tabs.currentWidget()
        if current is not None:
            current.refresh()
