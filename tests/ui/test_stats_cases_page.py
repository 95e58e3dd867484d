"""統計 page with case work (issue 18): the case tables are in the 表 tab with their known
counts; a coordinator sees a small count tinted (hidden in any export), staff see it hidden."""

from PySide6.QtCore import Qt

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.pages.stats import PRIMARY_TINT
from tests.store.conftest import login_as
from tests.store.test_stats_cases import TODAY, _on_today, data  # noqa: F401 (fixtures)
from tests.ui.test_stats_page import cell, open_page, pick_table


def test_the_case_tables_are_listed_with_their_counts(qtbot, ctx, data):
    page = open_page(qtbot, ctx, year=2024)
    titles = [page.table_list.item(i).text() for i in range(page.table_list.count())]
    cases_at = titles.index("地区別の支援ケース")
    assert titles[cases_at:cases_at + 4] == ["地区別の支援ケース", "ケースの終結までの日数", "地区別のモニタリング（目標の見直し）",
                           "地区別の地域課題"]
    pick_table(page, "地区別の支援ケース")
    assert [cell(page.table_view, "計", c) for c in (1, 2, 3)] == ["4", "3", "3"]
    tint = cell(page.table_view, "北地区", 3, Qt.ItemDataRole.BackgroundRole)
    assert tint is not None and tint.color().name() == PRIMARY_TINT  # 1 closure: hidden in exports
    pick_table(page, "ケースの終結までの日数")
    assert [cell(page.table_view, "終結", c) for c in (1, 2, 3)] == ["3", "71.0", "74.3"]
    pick_table(page, "地区別の地域課題")
    assert "移動手段がない" in page.table_note.text()


def test_staff_see_the_suppressed_counts(qtbot, store, executor, ui_settings, data):
    staff = login_as(store, "staff-south", role="staff", district_ids=[data["south"]])
    try:
        ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff),
                         kdf=FAST_KDF)
        page = open_page(qtbot, ctx, year=2024)
        pick_table(page, "地区別の支援ケース")
        assert [cell(page.table_view, "南地区", c) for c in (1, 2, 3)] == ["<3", "<3", "<3"]
    finally:
        staff.close()
