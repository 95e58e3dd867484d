"""The list of pages in the navigation. To add a screen, write a page widget
with ``refresh()`` and add one ``PageSpec`` here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from shakyo_desk.domain.roles import Role, manages_accounts, manages_registers, manages_settings
from shakyo_desk.i18n import tr
from shakyo_desk.ui.context import AppContext


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: Callable[[AppContext], QWidget]
    allowed: Callable[[Role], bool] = lambda role: True
    admin_menu: bool = False  # also listed in the 管理 menu


def _households(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.households import HouseholdListPage

    return HouseholdListPage(ctx)


def _accounts(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.accounts import AccountsPage

    return AccountsPage(ctx)


def _districts(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.districts import DistrictsPage

    return DistrictsPage(ctx)


def _settings(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.settings import SettingsPage

    return SettingsPage(ctx)


def default_pages() -> list[PageSpec]:
    return [
        PageSpec("households", tr("世帯"), _households),
        PageSpec("districts", tr("地区"), _districts, manages_registers, admin_menu=True),
        PageSpec("accounts", tr("アカウント"), _accounts, manages_accounts, admin_menu=True),
        PageSpec("settings", tr("設定"), _settings, manages_settings, admin_menu=True),
    ]


def pages_for(role: Role, pages: list[PageSpec] | None = None) -> list[PageSpec]:
    return [p for p in (pages if pages is not None else default_pages()) if p.allowed(role)]
