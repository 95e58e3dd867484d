"""Every list says what to do when it is empty: each page of a freshly created store (admin)
shows its sentence, and no list anywhere is a bare empty table."""

import pytest
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QListWidget, QStackedWidget, QTableWidget

from shakyo_desk.store.services import districts, households, salons
from shakyo_desk.ui.empty_state import empty_hint, no_match, set_empty_hint, shown_empty_text
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.widgets import CheckList

# What each page says on an empty store (a part of the sentence is enough).
EXPECTED = {
    "households": "「新しい世帯」ボタンから",
    "watch": "この期間に訪問を予定している世帯はありません",
    "contacts": "まだ訪問記録がありません",
    "sheets": "「新しいシート」から",
    "cases": "「ケースを開く」から",
    "salons": "「新しいサロン」から",
    "community": "地区がまだ登録されていません",
    "referrals": "「つなぎを記録」ボタンから",
    "stats": "の記録はありません",
    "conferences": "「新しい会議を登録…」から",
    "handouts": "ありません",
    "conflicts": "要確認はありません",
    "sync": "取り込めなかったファイルはありません",
    "agencies": "「追加」を押してください",
    "districts": "「地区を追加」に地区名を入力して",
    "retention": "保存期間を過ぎた記録はありません",
}
NOT_LISTS = {"accounts", "settings", "audit"}  # never empty (the admin, the store's own audit entries) or no list


def visible_texts(page) -> list[str]:
    """Every sentence a person sees on the page: labels, and hints over empty lists."""
    texts = [label.text() for label in page.findChildren(QLabel) if label.isVisibleTo(page) and label.text()]
    texts += [shown_empty_text(view) for view in page.findChildren(QAbstractItemView) if view.isVisibleTo(page)]
    return [t for t in texts if t]


def bare_empty_lists(page) -> list[str]:
    """Lists a person sees that have no rows and say nothing about it."""
    bare = []
    for view in page.findChildren(QAbstractItemView):
        if isinstance(view, CheckList) or not view.isVisibleTo(page) or view.model() is None:
            continue
        if isinstance(view, QHeaderView):
            continue
        if view.model().rowCount() == 0 and not shown_empty_text(view) and not _stack_says_why(view):
            bare.append(view.accessibleName() or type(view).__name__)
    return bare


def _stack_says_why(view) -> bool:
    stack = view.parentWidget()
    return isinstance(stack, QStackedWidget) and stack.currentWidget() is not view


@pytest.fixture
def window(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


def test_every_page_of_an_empty_store_says_what_to_do(window):
    keys = [spec.key for spec in window.specs]
    assert set(EXPECTED) | NOT_LISTS >= set(keys), set(keys) - set(EXPECTED) - NOT_LISTS
    for key in keys:
        page = window.show_page(key)
        page.refresh()
        bare = bare_empty_lists(page)
        assert not bare, f"{key}: empty lists without a sentence: {bare}"
        if key in EXPECTED:
            texts = visible_texts(page)
            assert any(EXPECTED[key] in t for t in texts), f"{key}: {texts}"


def test_hint_follows_the_rows(qtbot):
    table = QTableWidget(0, 2)
    qtbot.addWidget(table)
    table.resize(400, 300)
    table.show()
    hint = set_empty_hint(table, "まだありません。「追加」から登録してください。")
    assert shown_empty_text(table) == hint.text()
    assert hint.geometry().width() > 100  # laid over the whole empty area
    table.setRowCount(1)
    assert shown_empty_text(table) == "" and hint.isHidden()
    table.setRowCount(0)
    assert shown_empty_text(table)
    set_empty_hint(table, no_match("記録"))
    assert empty_hint(table) is hint and shown_empty_text(table) == "条件に合う記録はありません。条件を変えてください。"

    items = QListWidget()
    qtbot.addWidget(items)
    items.show()
    set_empty_hint(items, "ここに出ます。")
    items.addItem("一行")
    assert not shown_empty_text(items)
    items.clear()
    assert shown_empty_text(items) == "ここに出ます。"


def test_salon_lists_say_what_to_do(window, ctx):
    district = districts.add_district(ctx.store, "北地区", "きたちく")
    salons.add_salon(ctx.store, "ひだまりサロン", district)
    page = window.show_page("salons")
    page.refresh()
    assert "「開催記録を入力」から" in shown_empty_text(page.sessions_table)
    assert "開催を選ぶと" in shown_empty_text(page.remarks)
    page.edit_regulars()
    dialog = page.dialog
    assert "「← 常連に加える」" in shown_empty_text(dialog.list)
    dialog.reject()


def test_household_search_tells_nothing_yet_from_no_match(qtbot, ctx):
    from shakyo_desk.ui.field_widgets import HouseholdSearch

    search = HouseholdSearch(ctx)
    qtbot.addWidget(search)
    search.show()
    search.run_search()
    assert "「新しい世帯」から" in shown_empty_text(search.results)
    district = districts.add_district(ctx.store, "北地区", "きたちく")
    households.add_household(ctx.store, district, "山田 花子", "ヤマダ ハナコ")
    search.search.setText("ぞぞ")
    search.run_search()
    assert shown_empty_text(search.results).startswith("条件に合う世帯はありません。")
    search.search.setText("山田")
    search.run_search()
    assert search.results.count() == 1 and not shown_empty_text(search.results)
