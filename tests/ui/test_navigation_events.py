"""One way between screens (ctx.navigator) and screens announcing what they changed
(ctx.changed): lists reload when something they show changed, not when they are shown again."""

from PySide6.QtWidgets import QFileDialog

from shakyo_desk.store.exchange import conflicts
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.events import CONFLICT
from shakyo_desk.ui.pages import contacts as contacts_page_module
from shakyo_desk.ui.pages import households as households_page_module
from shakyo_desk.ui.worker import SyncExecutor
from tests.sync.council import enrol, make_office
from tests.ui.helpers import click, type_text
from tests.ui.test_main_window import make_window, nav_titles


def counted(monkeypatch, module, name):
    """Count the calls a page makes to one of its queries."""
    calls = []
    real = getattr(module, name)

    def query(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, query)
    return calls


def test_a_visit_saved_from_a_timeline_reloads_the_visible_contacts_page(qtbot, ctx, village):
    hid = village["households"]["suzuki"]
    contacts.add_contact(ctx.store, household_id=hid, method="訪問", seen_heard="畑仕事をしていた")
    window = make_window(qtbot, ctx)
    page = window.show_page("contacts")
    assert page.table.rowCount() == 1

    page.open_row(0)  # 訪問記録 → the household's 経過 → 訪問記録を入力
    timeline = page.timeline
    click(qtbot, timeline.entry_button)
    entry = timeline.contact_entry
    type_text(qtbot, entry.seen_heard, "玄関先で立ち話")
    click(qtbot, entry.save_button)

    assert len(contacts.list_contacts(ctx.store)) == 2
    assert page.table.rowCount() == 2  # the page behind both dialogs, never shown again
    assert len(timeline.entries) == 2  # and the open timeline
    entry.done(0)
    timeline.done(0)
    window.idle.stop()


def test_showing_a_page_again_reloads_it_only_when_something_it_shows_changed(qtbot, ctx, village, monkeypatch):
    contact_queries = counted(monkeypatch, contacts_page_module, "list_contacts")
    household_queries = counted(monkeypatch, households_page_module, "list_households")
    contacts.add_contact(ctx.store, household_id=village["households"]["suzuki"], method="訪問", seen_heard="元気")
    window = make_window(qtbot, ctx)
    contacts_page = window.show_page("contacts")
    households_page = window.show_page("households")
    assert len(contact_queries) == 1 and len(household_queries) == 1
    window.show_page("contacts")
    window.show_page("households")
    assert len(contact_queries) == 1 and len(household_queries) == 1  # no polling: nothing changed

    window.contact_action.trigger()  # Ctrl+N on the 世帯 page
    entry = window.contact_entry
    entry.set_household(village["households"]["tanaka"], "田中 正")
    type_text(qtbot, entry.seen_heard, "留守だった")
    click(qtbot, entry.save_button)
    assert len(household_queries) == 1  # the 世帯 list shows no contacts
    assert len(contact_queries) == 1 and contacts_page.table.rowCount() == 1  # hidden: not yet
    entry.done(0)

    window.show_page("contacts")
    assert len(contact_queries) == 2 and contacts_page.table.rowCount() == 2  # a contact was saved meanwhile
    window.show_page("households")
    assert len(household_queries) == 1 and households_page.model.rowCount() == 3
    window.idle.stop()


def test_an_import_announces_conflict_and_the_badge_recounts(qtbot, tmp_path, ui_settings, monkeypatch):
    office, _kit = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子", "カクウ ハナコ", phone="0000-00-0000")
    laptop = enrol(office, tmp_path, "laptop1")
    try:
        ctx = AppContext(store=office, executor=SyncExecutor(), ui_settings=ui_settings, council=get_settings(office),
                         kdf=FAST_KDF)
        window = make_window(qtbot, ctx)
        assert "要確認" in nav_titles(window)
        announced = []
        ctx.events.changed.connect(announced.append)

        households.update_household(office, household, phone="0000-11-1111")
        households.update_household(laptop, household, phone="0000-22-2222")
        stick = tmp_path / "usb"
        stick.mkdir()
        bundle = export_bundle(laptop, stick).path
        sync_page = window.show_page("sync")
        monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(bundle)], "")))
        click(qtbot, sync_page.import_button)

        assert CONFLICT in announced
        assert "要確認（1）" in nav_titles(window)

        # settled behind the window's back (another screen, the CLI): the badge follows the announcement
        [conflict] = conflicts.list_conflicts(office)
        conflicts.resolve_conflict(office, conflict.id, 1)
        assert "要確認（1）" in nav_titles(window)
        ctx.changed(CONFLICT)
        assert "要確認" in nav_titles(window) and "要確認（1）" not in nav_titles(window)
        sync_page.summary.done(0)
        window.idle.stop()
    finally:
        for s in (office, laptop):
            if s.is_open:
                s.close()


def test_a_context_without_a_main_window_opens_dialogs_but_no_pages(qtbot, ctx, village):
    navigator = ctx.navigator
    assert not navigator.has_pages and navigator.show_page("contacts") is None
    from tests.ui.test_households import make_page

    page = make_page(qtbot, ctx)
    timeline = navigator.open_timeline(village["households"]["yamada"], "山田 花子", page)
    assert timeline.isVisible() and timeline.household_id == village["households"]["yamada"]
    timeline.done(0)


def test_a_case_change_reloads_the_case_list_and_not_the_household_list(qtbot, ctx, village, monkeypatch):
    from shakyo_desk.store.services import cases
    from shakyo_desk.ui.events import CASE
    from shakyo_desk.ui.pages import cases as cases_page_module

    case_queries = counted(monkeypatch, cases_page_module, "list_cases")
    household_queries = counted(monkeypatch, households_page_module, "list_households")
    window = make_window(qtbot, ctx)
    cases_page = window.show_page("cases")
    window.show_page("households")
    before_cases, before_households = len(case_queries), len(household_queries)
    assert before_households == 1

    cases.open_case(ctx.store, village["households"]["suzuki"])
    ctx.changed(CASE)  # as the case screens announce what they wrote
    assert len(household_queries) == before_households  # the 世帯 list shows no case records
    window.show_page("cases")
    assert len(case_queries) > before_cases and [c.household_id for c in cases_page.rows] == [
        village["households"]["suzuki"]]
    window.idle.stop()
