"""一括入力 of 支え合い at a 地域懇談会 (issue 19): choose a district; its 一人暮らし高齢者 and
高齢者のみ households (others on request) are listed to choose from; for each, type who helps and
how, and Enter adds the line. 「まとめて記録する」 saves every line in the worker, one tie at a
time through the service: a refused line writes nothing, stays with its reason, the others are
saved. The lines may be tied to the 地域活動 where they were heard."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from shakyo_desk.domain.vocab import SUPPORTER_KINDS, TIE_KINDS, TIE_NEEDED_FLAGS
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.activities import ActivityInfo, list_activities
from shakyo_desk.store.services.districts import DistrictInfo, subtree_ids
from shakyo_desk.store.services.households import HouseholdRow, list_households
from shakyo_desk.store.services.ties import BulkResult, add_ties_each
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, fit_to_screen
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import COMMUNITY
from shakyo_desk.ui.contact_entry import OK_COLOUR
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, fill_district_combo, fill_table, make_table, text_item

COLUMNS = ("世帯", "支え手", "立場", "種類", "頻度", "結果")
FIT = (Column("佐々木 花子", 120), Column("隣の 田中 一夫", 130), Column("ボランティア", 90, drop=2),
       Column("安否確認", 80), Column("毎朝", 80, drop=1), Column("記録できません：理由", 200, stretch=True))


def needs_tie(h: HouseholdRow) -> bool:
    return any(f in TIE_NEEDED_FLAGS for f in h.flags)


def load_district(store, district_id: str) -> tuple[list[HouseholdRow], list[ActivityInfo]]:
    households = list_households(store, "", district_id, None)
    area = set(subtree_ids(store, district_id))
    activities = [a for a in list_activities(store) if a.district_id is None or a.district_id in area]
    return households, activities


class TieBulkDialog(QDialog):
    def __init__(self, ctx: AppContext, districts: list[DistrictInfo], *, district_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.households: list[HouseholdRow] = []
        self.lines: list[dict] = []  # what add_ties_each takes, plus "label" and "result" for the table
        self.setWindowTitle(tr("支え合いの一括入力"))
        intro = QLabel(tr("地域懇談会などで聞いた支え合いを、世帯ごとに入力します。支え手の名前と種類を入れて Enter で"
                          "一行ずつ加え、最後に「まとめて記録する」を押してください。"))
        intro.setWordWrap(True)
        self.district = QComboBox()
        fill_district_combo(self.district, districts, empty_label=tr("（地区を選んでください）"), selected=district_id)
        self.activity = QComboBox()
        self.activity.addItem(tr("（結び付けない）"), None)
        self.all_households = QCheckBox(tr("高齢者のみ・一人暮らし以外の世帯も選ぶ(&L)"))
        top = QFormLayout()
        top.addRow(tr("地区(&D)＊"), self.district)
        top.addRow(tr("聞き取った地域活動(&V)"), self.activity)
        top.addRow("", self.all_households)

        self.household = QComboBox()
        self.household.setAccessibleName(tr("世帯"))
        self.name = QLineEdit()
        self.name.setAccessibleName(tr("支え手の名前"))
        self.name.setPlaceholderText(tr("例：隣の 田中さん"))
        self.kind_of_supporter = QComboBox()
        self.kind_of_supporter.setAccessibleName(tr("支え手の立場"))
        self.kind_of_supporter.addItems(SUPPORTER_KINDS)
        self.kind = QComboBox()
        self.kind.setAccessibleName(tr("支え合いの種類"))
        self.kind.addItems(TIE_KINDS)
        self.frequency = QLineEdit()
        self.frequency.setAccessibleName(tr("頻度"))
        self.frequency.setPlaceholderText(tr("例：毎朝"))
        self.add_button = QPushButton(tr("行を加える（Enter）"))
        self.add_button.setDefault(True)  # Enter anywhere in the line adds it
        self.add_button.clicked.connect(self.add_line)
        grid = QGridLayout()
        for column, (label, widget) in enumerate(((tr("世帯(&H)"), self.household), (tr("支え手の名前(&N)"), self.name),
                                                  (tr("立場(&R)"), self.kind_of_supporter), (tr("種類(&K)"), self.kind),
                                                  (tr("頻度(&F)"), self.frequency))):
            caption = QLabel(label)
            caption.setBuddy(widget)
            grid.addWidget(caption, 0, column)
            grid.addWidget(widget, 1, column)
        grid.addWidget(self.add_button, 1, 5)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 3)
        entry = QGroupBox(tr("一行の入力"))
        entry.setLayout(grid)

        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("記録する支え合いの一覧"))
        set_empty_hint(self.table, tr("まだ行がありません。上で世帯と支え手を入力し、Enter で加えてください。"))
        self.remove_button = QPushButton(tr("選んだ行を消す"))
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_line)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet(f"color: {OK_COLOUR}; font-weight: bold;")
        self.errors = ErrorLabel()
        self.save_button = QPushButton(tr("まとめて記録する(&S)"))
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton(tr("閉じる"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.remove_button)
        bottom.addStretch(1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(entry)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result)
        layout.addWidget(self.errors)
        layout.addLayout(bottom)
        self.district.currentIndexChanged.connect(lambda _i: self.load())
        self.all_households.toggled.connect(lambda _on: self._fill_households())
        fit_to_screen(self, QSize(900, 640), settings=ctx.ui_settings, key="tie_bulk")
        self._update_buttons()
        self.load()

    # ---- the district's households --------------------------------------------------------

    def load(self) -> None:
        district_id = self.district.currentData()
        if not district_id:
            self.households = []
            self._fill_households()
            return
        store = self.ctx.store
        self.ctx.executor.submit(lambda: load_district(store, district_id), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.households, activities = result
        self.errors.clear_error()
        self.activity.clear()
        self.activity.addItem(tr("（結び付けない）"), None)
        for a in activities:
            self.activity.addItem(f"{format_wareki_short(a.held_on)} {a.title}", a.id)
        self._fill_households()

    def _fill_households(self) -> None:
        chosen = self.household.currentData()
        shown = sorted((h for h in self.households if self.all_households.isChecked() or needs_tie(h)),
                       key=lambda h: (not needs_tie(h), h.head_kana))
        self.household.clear()
        for h in shown:
            flags = "・".join(f for f in h.flags if f in TIE_NEEDED_FLAGS)
            self.household.addItem(f"{h.head_name}（{flags}）" if flags else h.head_name, h.id)
            self.household.setItemData(self.household.count() - 1, h.address, Qt.ItemDataRole.ToolTipRole)
        self.household.setCurrentIndex(max(0, self.household.findData(chosen)))
        self._update_buttons()

    # ---- the lines ---------------------------------------------------------------------------

    def add_line(self) -> None:
        self.errors.clear_error()
        if self.household.currentData() is None:
            self.errors.show_error(tr("世帯を選んでください。地区を選ぶと、その地区の世帯が選べるようになります。"))
            return
        if not self.name.text().strip():
            self.errors.show_error(tr("支え手の名前を入力してください。"))
            self.name.setFocus()
            return
        self.lines.append({"household_id": self.household.currentData(), "label": self.household.currentText(),
                           "supporter_name": self.name.text().strip(),
                           "supporter_kind": self.kind_of_supporter.currentText(), "kind": self.kind.currentText(),
                           "frequency": self.frequency.text().strip(), "result": ""})
        self.name.clear()
        self.frequency.clear()
        self._fill_lines()
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def remove_line(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.lines):
            del self.lines[row]
            self._fill_lines()

    def _fill_lines(self) -> None:
        fill_table(self.table, [(line["label"], line["supporter_name"], line["supporter_kind"], line["kind"],
                                 line["frequency"], text_item(line["result"], ERROR_COLOUR) if line["result"] else "")
                                for line in self.lines])
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(bool(self.lines))
        self.remove_button.setEnabled(bool(self.lines))
        self.add_button.setEnabled(self.household.count() > 0)

    # ---- saving ---------------------------------------------------------------------------------

    def save(self) -> None:
        if not self.lines:
            return
        self.errors.clear_error()
        self.result.setText("")
        store, activity_id = self.ctx.store, self.activity.currentData()
        rows = [{k: v for k, v in line.items() if k not in ("label", "result")} for line in self.lines]
        self.save_button.setEnabled(False)
        self.ctx.executor.submit(lambda: add_ties_each(store, rows, activity_id=activity_id), on_done=self._saved,
                                 on_error=self._failed, owner=self)

    def _saved(self, result: BulkResult) -> None:
        reasons = dict(result.refused)
        self.lines = [{**line, "result": tr("記録できません：{why}", why=reasons[i])}
                      for i, line in enumerate(self.lines) if i in reasons]
        self._fill_lines()
        text = tr("{n}件の支え合いを記録しました。", n=len(result.saved))
        if result.refused:
            text += tr("{m}件は記録できませんでした。表に残した行の「結果」を見て、直してからもう一度記録してください。",
                       m=len(result.refused))
        self.result.setText(text)
        if result.saved:
            self.ctx.changed(COMMUNITY)

    def _failed(self, error) -> None:
        self._update_buttons()
        self.errors.show_error(error)

    def reject(self) -> None:
        self.ctx.ui_settings.save_geometry("tie_bulk", self)
        super().reject()
