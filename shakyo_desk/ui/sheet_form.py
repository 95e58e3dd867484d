"""困っている家庭把握シート: the quick hand-over form any employee fills in.

Anyone can file one in about two minutes: what they noticed, where, about whom
(an existing household, or only a hint such as a name and a place), the kinds
of concern, how urgent, and the person's own wish. Other screens open it
prefilled through ``ctx.navigator.open_sheet_form(prefill)``."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
    QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import SHEET_SETTINGS, URGENCIES, WISH_FOR_HELP
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.agencies import list_agencies
from shakyo_desk.store.services.concerns import list_concerns
from shakyo_desk.store.services.sheets import file_sheet
from shakyo_desk.ui.appearance import fit_width_to_contents
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.entry_form import EntryForm
from shakyo_desk.ui.events import SHEET
from shakyo_desk.ui.field_widgets import URGENCY_COLOURS, HouseholdPickDialog, RadioRow, load_household_name
from shakyo_desk.ui.widgets import CheckList

URGENCY_HINTS = {
    "緊急": "今日・明日のうちに対応が必要",
    "早め": "1〜2週間のうちに確認したい",
    "見守り": "急ぎではないが気にかけておきたい",
}


AGENCY_ROWS = 4  # rows of すでに関わっている関係機関 shown without scrolling


def can_pick_households(role: Role) -> bool:
    return role != Role.REPORTER


class SheetFormDialog(EntryForm, QDialog):
    """``filed(sheet_id)`` after the sheet is saved."""

    geometry_key = "sheet_form"
    discard_text = "提出していない入力があります。入力を捨てて閉じますか？"

    filed = Signal(str)

    def __init__(self, ctx: AppContext, prefill: dict | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.prefill = dict(prefill or {})
        self.household_id: str | None = None
        self._saving = False
        self.concern_boxes: dict[str, QCheckBox] = {}
        p = self.prefill
        self.setWindowTitle(tr("困っている家庭把握シート"))

        heading = QLabel(tr("困っている家庭把握シート"))
        heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr("気づいたことを、わかる範囲で書いてください。「＊」の項目だけ入力すれば提出できます。"
                          "提出したシートは地域福祉係が受け取り、確認します。"))
        intro.setWordWrap(True)
        if p.get("from_remark_id"):
            intro.setText(intro.text() + tr("\nサロンで聞いたつぶやきの内容を写してあります。"))
        elif p.get("from_contact_id"):
            intro.setText(intro.text() + tr("\n訪問などの記録の内容を写してあります。"))

        # when, where, from whom
        self.noticed_on = DateField(p.get("noticed_on"), allow_future=False)
        self.setting = QComboBox()
        self.setting.addItem(tr("（選んでください）"), "")
        for s in SHEET_SETTINGS:
            self.setting.addItem(s, s)
        self.setting.setCurrentIndex(max(0, self.setting.findData(p.get("setting") or "")))
        self.source = QLineEdit(p.get("source", ""))
        self.source.setPlaceholderText(tr("例：近所の方から聞いた（本人から直接なら空欄）"))

        # about whom
        self.household_label = QLabel(tr("（選んでいません）"))
        self.household_label.setStyleSheet("font-weight: bold;")
        self.pick_button = QPushButton(tr("世帯を選ぶ…"))
        self.pick_button.setToolTip(tr("登録済みの世帯から選びます"))
        self.clear_household_button = QPushButton(tr("外す"))
        self.pick_button.clicked.connect(self.pick_household)
        self.clear_household_button.clicked.connect(lambda: self.set_household(None, ""))
        household_row = QHBoxLayout()
        household_row.addWidget(self.household_label, 1)
        household_row.addWidget(self.pick_button)
        household_row.addWidget(self.clear_household_button)
        self.hint = QLineEdit(p.get("household_hint", ""))
        self.hint.setPlaceholderText(tr("例：上町の坂の上の青い屋根の家、山田さん（80代くらい）"))
        self.person = QLineEdit(p.get("person_of_concern", ""))
        self.person.setPlaceholderText(tr("例：本人、同居の息子さん"))

        top_form = QFormLayout()
        top_form.addRow(tr("気づいた日＊"), self.noticed_on)
        top_form.addRow(tr("気づいた場面"), self.setting)
        top_form.addRow(tr("だれから聞いたか"), self.source)
        self.household_widget = QWidget()
        self.household_widget.setLayout(household_row)
        household_row.setContentsMargins(0, 0, 0, 0)
        if can_pick_households(ctx.role):
            top_form.addRow(tr("世帯"), self.household_widget)
            top_form.addRow(tr("世帯の手がかり"), self.hint)
        else:
            self.household_widget.hide()
            top_form.addRow(tr("どこのどなたか＊"), self.hint)
        top_form.addRow(tr("気になる方"), self.person)

        # what and how urgent
        self.concerns_grid = QGridLayout()
        self.concerns_grid.setHorizontalSpacing(18)
        concerns_box = QGroupBox(tr("気になること＊（あてはまるものをすべて）"))
        concerns_box.setLayout(self.concerns_grid)
        self.urgency = RadioRow(URGENCIES, p.get("urgency"), colours=URGENCY_COLOURS)
        for value, button in self.urgency.buttons.items():
            button.setToolTip(tr(URGENCY_HINTS[value]))
        urgency_hint = QLabel(tr("緊急＝今日・明日のうちに　早め＝1〜2週間で　見守り＝急がない"))
        urgency_hint.setStyleSheet("color: #555;")
        urgency_hint.setWordWrap(True)
        urgency_box = QGroupBox(tr("緊急度＊"))
        urgency_layout = QVBoxLayout(urgency_box)
        urgency_layout.addWidget(self.urgency)
        urgency_layout.addWidget(urgency_hint)
        self.wish = RadioRow(WISH_FOR_HELP, p.get("wish_for_help") or "不明")
        wish_box = QGroupBox(tr("本人の意思（支援を望んでいるか）"))
        QVBoxLayout(wish_box).addWidget(self.wish)
        self.agencies = CheckList([])
        self.agencies.fit_height(AGENCY_ROWS)  # rows as tall as the text size makes them
        agencies_box = QGroupBox(tr("すでに関わっている関係機関"))
        QVBoxLayout(agencies_box).addWidget(self.agencies)

        # free text
        self.situation = QPlainTextEdit(p.get("situation", ""))
        self.situation.setPlaceholderText(tr("見たこと・聞いたことをそのまま書いてください。"))
        self.situation.setFixedHeight(76)
        self.strengths = QPlainTextEdit(p.get("strengths", ""))
        self.strengths.setPlaceholderText(tr("例：畑仕事が得意、近所に話し相手がいる"))
        self.strengths.setFixedHeight(46)
        self.supporter = QLineEdit(p.get("possible_supporter", ""))
        self.supporter.setPlaceholderText(tr("例：サロンの手伝いを頼めそう"))
        self.handoff = QLineEdit(p.get("suggested_handoff", ""))
        self.handoff.setPlaceholderText(tr("例：地域包括支援センター、まいさぽ"))
        text_form = QFormLayout()
        text_form.addRow(tr("気になった様子"), self.situation)
        text_form.addRow(tr("本人・世帯の強み"), self.strengths)
        text_form.addRow(tr("支え手になれそうか"), self.supporter)
        text_form.addRow(tr("つなぎ先の案"), self.handoff)

        left = QVBoxLayout()
        left.addLayout(top_form)
        left.addWidget(urgency_box)
        left.addWidget(wish_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(concerns_box)
        right.addWidget(agencies_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addWidget(intro)
        body_layout.addLayout(columns)
        body_layout.addLayout(text_form)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        fit_width_to_contents(scroll)  # nothing cut off on the right at a large text size

        self.errors = ErrorLabel()
        self.buttons, self.save_button = button_row(self, tr("提出する"), self.save, save=True, cancel_text=tr("閉じる"))
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        fit_to_screen(self, QSize(1040, 700), settings=ctx.ui_settings, key="sheet_form")

        self.set_household(None, "")
        if p.get("household_id") and can_pick_households(ctx.role):
            self.set_household(p["household_id"], tr("（読み込み中）"))
            load_household_name(ctx, p["household_id"], lambda name: self.set_household(p["household_id"], name),
                                self)
        self._snapshot = None
        self.ctx.executor.submit(self._load, on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    # ---- loading -------------------------------------------------------------------

    def _load(self):
        return list_concerns(self.ctx.store), list_agencies(self.ctx.store)

    def _loaded(self, result) -> None:
        concerns, agencies = result
        wanted = set(self.prefill.get("concerns") or ())
        columns = 3
        for i, c in enumerate(concerns):
            box = QCheckBox(c.name)
            box.setStyleSheet("QCheckBox { padding: 3px 0; } QCheckBox::indicator { width: 18px; height: 18px; }")
            box.setChecked(c.name in wanted)
            self.concerns_grid.addWidget(box, i // columns, i % columns)
            self.concern_boxes[c.name] = box
        connected = set(self.prefill.get("connected_agencies") or ())
        for a in agencies:
            label = f"{a.name}（{a.field}）" if a.field else a.name
            self._add_agency(label, a.id, a.id in connected)
        if not agencies:
            self._add_agency(tr("（関係機関がまだ登録されていません）"), None, False, enabled=False)
        self.agencies.fit_height(AGENCY_ROWS)
        self._snapshot = self.values()

    def _add_agency(self, label: str, agency_id, checked: bool, enabled: bool = True) -> None:
        from PySide6.QtWidgets import QListWidgetItem

        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, agency_id)
        if enabled:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        else:
            item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.agencies.addItem(item)

    # ---- household -------------------------------------------------------------------

    def set_household(self, household_id: str | None, name: str) -> None:
        self.household_id = household_id
        self.household_label.setText(tr("{name} さんの世帯", name=name) if household_id and name
                                     else (name if household_id else tr("（選んでいません）")))
        self.clear_household_button.setEnabled(bool(household_id))

    def pick_household(self) -> None:
        dialog = HouseholdPickDialog(self.ctx, self, intro=tr("シートの世帯を選んでください。"
                                                              "見つからないときは、手がかり欄に氏名と場所を書いてください。"))
        self.pick_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.choice is not None:
            self.set_household(dialog.choice.id, dialog.choice.head_name)

    # ---- values ------------------------------------------------------------------------

    def values(self) -> dict:
        """What goes to ``file_sheet``; ``InvalidInput`` when the date cannot be read."""
        return {
            "noticed_on": self.noticed_on.checked_date(tr("気づいた日")),
            "setting": self.setting.currentData() or "",
            "source": self.source.text().strip(),
            "household_id": self.household_id,
            "household_hint": self.hint.text().strip(),
            "person_of_concern": self.person.text().strip(),
            "concerns": [name for name, box in self.concern_boxes.items() if box.isChecked()],
            "urgency": self.urgency.value(),
            "connected_agencies": [a for a in self.agencies.checked() if a],
            "wish_for_help": self.wish.value() or "不明",
            "situation": self.situation.toPlainText().strip(),
            "strengths": self.strengths.toPlainText().strip(),
            "possible_supporter": self.supporter.text().strip(),
            "suggested_handoff": self.handoff.text().strip(),
        }

    def save(self) -> None:
        if self._saving:
            return
        values = self._values_or_show_error()
        if values is None:
            return
        if not values["household_id"] and not values["household_hint"]:
            self.errors.show_error(tr("どこのどなたのことか、氏名や場所などの手がかりを入力してください。")
                                   if not can_pick_households(self.ctx.role)
                                   else tr("世帯を選ぶか、世帯の手がかり（氏名や場所など）を入力してください。"))
            self.hint.setFocus()
            return
        if not values["concerns"]:
            self.errors.show_error(tr("気になることを1つ以上選んでください。"))
            return
        if not values["urgency"]:
            self.errors.show_error(tr("緊急度（緊急・早め・見守り）を選んでください。"))
            return
        for key in ("from_contact_id", "from_remark_id"):
            if self.prefill.get(key):
                values[key] = self.prefill[key]
        self._set_saving(True)
        self.errors.clear_error()
        self.ctx.executor.submit(lambda: file_sheet(self.ctx.store, **values), on_done=self._saved,
                                 on_error=self._failed, owner=self)

    def _saved(self, sheet_id: str) -> None:
        self._set_saving(False)
        self._snapshot = self.values()
        self.ctx.ui_settings.save_geometry(self.geometry_key, self)
        self.filed.emit(sheet_id)
        self.ctx.changed(SHEET)
        self.accept()


def open_sheet_form(ctx: AppContext, prefill: dict | None = None, parent: QWidget | None = None,
                    on_filed=None) -> SheetFormDialog:
    dialog = SheetFormDialog(ctx, prefill, parent)
    if on_filed is not None:
        dialog.filed.connect(on_filed)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
