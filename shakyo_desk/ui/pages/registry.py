"""The list of pages in the navigation. To add a screen, write a page widget
with ``refresh()`` (kept fresh with ``events.keep_fresh``) and add one ``PageSpec`` here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from shakyo_desk.domain.roles import (
    Role, manages_accounts, manages_conferences, manages_registers, manages_settings, may_sync,
)
from shakyo_desk.i18n import tr
from shakyo_desk.store.store import Store
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.events import CASE, CONFERENCE, CONFLICT, HANDOUT, PURGE, RECORDS, SHEET, on


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: Callable[[AppContext], QWidget]
    allowed: Callable[[Role], bool] = lambda role: True
    admin_menu: bool = False  # also listed in the 管理 menu
    # A count shown after the title in the navigation (e.g. 要確認（3）); runs in the worker,
    # again whenever a change of one of ``badge_on`` (ui.events) is announced.
    badge: Callable[[Store], int] | None = None
    badge_on: frozenset[str] = frozenset()


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


def _salons(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.salons import SalonsPage

    return SalonsPage(ctx)


def _sheets(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.sheets import SheetsPage

    return SheetsPage(ctx)


def _new_sheets(store: Store) -> int:
    from shakyo_desk.store.services.sheets import new_count

    return new_count(store)  # coordinators and the admin; 0 (no count) for staff and reporters


def _cases(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.cases import CasesPage

    return CasesPage(ctx)


def _reviews_due(store: Store) -> int:
    from shakyo_desk.ui.pages.cases import review_due_count

    return review_due_count(store)  # open cases whose review is today or past


def _community(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.community import CommunityPage

    return CommunityPage(ctx)


def _referrals(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.referrals import ReferralsPage

    return ReferralsPage(ctx)


def _agencies(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.agencies import AgenciesPage

    return AgenciesPage(ctx)


def _contacts(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.contacts import ContactsPage

    return ContactsPage(ctx)


def _watch(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.watch import WatchPage

    return WatchPage(ctx)


def _conflicts(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.conflicts import ConflictsPage

    return ConflictsPage(ctx)


def _conflict_count(store: Store) -> int:
    from shakyo_desk.ui.pages.conflicts import visible_conflict_count

    return visible_conflict_count(store)


def _sync(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.sync import SyncPage

    return SyncPage(ctx)


def _conferences(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.conferences import ConferencesPage

    return ConferencesPage(ctx)


def _handout_register(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.handout_register import HandoutRegisterPage

    return HandoutRegisterPage(ctx)


def _handouts_to_handle(store: Store) -> int:
    from shakyo_desk.ui.pages.handout_register import copies_needing_action

    return copies_needing_action(store)


def _retention(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.retention import RetentionPage

    return RetentionPage(ctx)


def _stats(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.stats import StatsPage

    return StatsPage(ctx)


def _audit(ctx: AppContext) -> QWidget:
    from shakyo_desk.ui.pages.audit import AuditPageWidget

    return AuditPageWidget(ctx)


def _council_staff(role: Role) -> bool:
    return role != Role.REPORTER  # a reporter only files 把握シート and sees their own


def default_pages() -> list[PageSpec]:
    return [
        PageSpec("households", tr("世帯"), _households, _council_staff),
        PageSpec("watch", tr("見守り予定"), _watch, _council_staff),
        PageSpec("contacts", tr("訪問記録"), _contacts, _council_staff),
        PageSpec("sheets", tr("把握シート"), _sheets, badge=_new_sheets,
                 badge_on=on(SHEET)),  # filed, taken up, filed from the drop box; imports (on: sync)
        PageSpec("cases", tr("支援ケース"), _cases, _council_staff, badge=_reviews_due,
                 badge_on=on(CASE)),
        PageSpec("salons", tr("サロン"), _salons, _council_staff),
        PageSpec("community", tr("地域"), _community, _council_staff),
        PageSpec("referrals", tr("つなぎ"), _referrals, _council_staff),
        PageSpec("stats", tr("統計"), _stats, _council_staff),  # staff: their districts only
        PageSpec("conferences", tr("会議"), _conferences, manages_conferences),
        PageSpec("handouts", tr("配布資料"), _handout_register, manages_conferences, badge=_handouts_to_handle,
                 badge_on=on(HANDOUT, CONFERENCE)),
        PageSpec("conflicts", tr("要確認"), _conflicts, may_sync, badge=_conflict_count,
                 badge_on=RECORDS | {CONFLICT, PURGE}),  # a local edit may settle one; an import announces "conflict"
        PageSpec("sync", tr("同期"), _sync, may_sync),
        PageSpec("agencies", tr("関係機関"), _agencies, manages_registers, admin_menu=True),
        PageSpec("districts", tr("地区"), _districts, manages_registers, admin_menu=True),
        PageSpec("accounts", tr("アカウント"), _accounts, manages_accounts, admin_menu=True),
        PageSpec("settings", tr("設定"), _settings, manages_settings, admin_menu=True),
        PageSpec("retention", tr("保存期間の整理"), _retention, manages_accounts, admin_menu=True),
        PageSpec("audit", tr("操作の記録"), _audit, manages_accounts, admin_menu=True),  # admins only
    ]


def pages_for(role: Role, pages: list[PageSpec] | None = None) -> list[PageSpec]:
    return [p for p in (pages if pages is not None else default_pages()) if p.allowed(role)]
