"""支え合いマップ tab (issue 19): a district chosen draws its map (one item per node, ties as a
path per kind), the counts and the no-tie list with names; the PDF is written from the tab, and
names refused without consent are shown in red with nothing written; staff cannot ask for names."""

from pypdf import PdfReader
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPolygonItem

from shakyo_desk.store.services import districts
from shakyo_desk.ui.support_map_view import HOUSEHOLD_ROLE, ExportDialog, SupportMapTab
from tests.store.conftest import login_as
from tests.store.test_support_map import DAY, make_village


def _tab(qtbot, ctx, village, district: str) -> SupportMapTab:
    tab = SupportMapTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1200, 650)
    tab.show()
    tab.refresh()
    tab.district.setCurrentIndex(tab.district.findData(village[district]))
    return tab


def test_the_map_of_a_district_on_screen(qtbot, ctx, pin_today):
    pin_today(DAY)
    village = make_village(ctx.store)
    tab = _tab(qtbot, ctx, village, "north")
    households = [i for i in tab.scene.items() if isinstance(i, QGraphicsEllipseItem) and i.data(HOUSEHOLD_ROLE)]
    supporters = [i for i in tab.scene.items() if isinstance(i, QGraphicsPolygonItem)]
    assert (len(households), len(supporters)) == (8, 3)
    assert {i.data(HOUSEHOLD_ROLE) for i in households} >= {village["alone"], village["nobody"]}
    assert "世帯 8・支え手 3・つながりなし 1・1年以上未確認 1・多くを担う支え手 1" in tab.counts.text()
    assert tab.untied.rowCount() == 1
    assert tab.untied.item(0, 2).text() == "佐藤 キヨ"  # staff of the district see the head's name in the list
    assert tab.untied.item(0, 1).text() == "下集落"
    assert tab.pdf_button.isEnabled()
    # The 集落 alone: fewer nodes.
    tab.district.setCurrentIndex(tab.district.findData(village["upper"]))
    assert len([i for i in tab.scene.items() if isinstance(i, QGraphicsEllipseItem) and i.data(HOUSEHOLD_ROLE)]) == 2


def test_the_pdf_from_the_tab(qtbot, ctx, pin_today, tmp_path):
    pin_today(DAY)
    village = make_village(ctx.store)
    tab = _tab(qtbot, ctx, village, "north")
    tab.export_to(str(tmp_path / "map"), "A4")
    assert "保存しました" in tab.status.text() and not tab.progress.isVisible()
    assert "支え合いマップ" in PdfReader(tmp_path / "map.pdf").pages[0].extract_text()
    tab.export_to(str(tmp_path / "named.pdf"), "A3", names=True)
    assert tab.errors.isVisible() and "名前を伏せたマップは印刷できます" in tab.errors.text()
    assert not (tmp_path / "named.pdf").exists() and tab.pdf_button.isEnabled()


def test_staff_see_their_districts_and_cannot_ask_for_names(qtbot, ctx, pin_today):
    from dataclasses import replace

    pin_today(DAY)
    village = make_village(ctx.store)
    staff = login_as(ctx.store, "kita", "staff", [village["north"]])
    try:
        tab = _tab(qtbot, replace(ctx, store=staff), village, "north")
        offered = {tab.district.itemData(i) for i in range(tab.district.count())}
        assert offered == {village["north"], village["upper"], village["lower"]}
        assert tab.untied.rowCount() == 1
        dialog = ExportDialog(False, tab)
        qtbot.addWidget(dialog)
        assert not dialog.names.isEnabled()
    finally:
        staff.close()


def test_a_district_with_nothing_to_map(qtbot, ctx):
    empty = districts.add_district(ctx.store, "空の地区")
    tab = SupportMapTab(ctx)
    qtbot.addWidget(tab)
    tab.refresh()
    tab.district.setCurrentIndex(tab.district.findData(empty))
    assert tab.scene is not None and not tab.pdf_button.isEnabled()
    assert "世帯 0" in tab.counts.text() and tab.untied.rowCount() == 0
