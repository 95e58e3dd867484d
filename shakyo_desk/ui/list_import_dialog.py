"""名簿を取り込む: bring an existing Excel or CSV list into the register.

Two steps in one dialog. **1. ファイルと列**: choose the file (and the sheet of a workbook) and
what kind of list it is; every column of the file is listed with a few of its values and the
field it will fill (guessed from its header; 「取り込まない」 to leave it out). 「確認する」 checks
every row in the worker (a progress dialog that may be cancelled: checking changes nothing).
**2. 確認**: each row with its state and problems, problems highlighted, the counts
「取り込める n行／問題あり m行」. Districts the list names that the register lacks are listed
above the rows with one checkbox, 「この地区を登録して取り込む」, which checks again with them
registered by the import (in its transaction). 「取り込む」 is enabled only when nothing is wrong, or when
「問題のある行を除いて取り込む」 is ticked; it asks once more, then imports in the worker in one
transaction and says what was imported. ``imported`` is emitted so lists can refresh.

All file reading, checking and writing is ``store.imports`` in the worker; this module only
shows plain results.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
    QProgressDialog, QPushButton, QScrollArea, QStackedWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import UserError
from shakyo_desk.domain.vocab import HOUSEHOLD_FLAGS
from shakyo_desk.i18n import tr
from shakyo_desk.store.imports import (
    AGENCIES, BLANK, HOUSEHOLDS, KINDS, PROBLEM, SALON_REGULARS, WARNING, ImportOptions, ImportPreview, ImportResult,
    SheetTable, apply_import, fields_of, guess_mapping, is_flag_field, kind_label, load_table, preview_import,
)
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.store.services.salons import list_salons
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import HOUSEHOLD, REGISTER, SALON
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import fill_district_combo, make_table

log = logging.getLogger(__name__)

FILE_FILTER = "名簿のファイル (*.xlsx *.xlsm *.csv *.txt);;Excel (*.xlsx *.xlsm);;CSV (*.csv *.txt)"
PROBLEM_BACKGROUND = "#fde7e9"
WARNING_BACKGROUND = "#fff4d6"
BLANK_COLOUR = "#777777"
KIND_HINTS = {
    HOUSEHOLDS: "1行に1人。同じ「世帯番号」の行は1つの世帯になります（世帯番号がなければ1行が1世帯です）。",
    SALON_REGULARS: "登録済みの世帯員を、氏名とフリガナで探してサロンの常連にします。",
    AGENCIES: "1行に1機関。同じ名前の機関がすでにあれば取り込みません。",
}


class _Cancelled(UserError):
    """The person stopped the check (only checking may be stopped: it changes nothing)."""

    def __init__(self) -> None:
        super().__init__(tr("確認を中止しました。何も変わっていません。"))


def result_text(result: ImportResult) -> str:
    if result.kind == HOUSEHOLDS:
        what = tr("{h}世帯（世帯員 {p}人）", h=result.households, p=result.persons)
    elif result.kind == SALON_REGULARS:
        what = tr("サロンの常連 {n}人", n=result.regulars)
    else:
        what = tr("関係機関 {n}件", n=result.agencies)
    text = tr("{what}を取り込みました。", what=what)
    if result.skipped:
        text += tr("問題のあった {n}行は取り込んでいません。", n=len(result.skipped))
    return text


def new_districts_text(preview: ImportPreview) -> str:
    named = "、".join(tr("{path}（{n}行）", path=d.path, n=d.rows) for d in preview.new_districts)
    if preview.add_districts:
        return tr("取り込むときに登録する地区（{n}）：{named}\n取り込む世帯が使う地区だけを登録します。",
                  n=len(preview.new_districts), named=named)
    return tr("名簿にあって、まだ登録されていない地区（{n}）：{named}\n"
              "登録すると、これらの地区の行も取り込めます。地区名の書き間違いがないか確かめてください。",
              n=len(preview.new_districts), named=named)


def counts_text(preview: ImportPreview) -> str:
    text = tr("取り込める {ready}行／問題あり {bad}行", ready=preview.ready_rows, bad=preview.problem_rows)
    if preview.blank_rows:
        text += tr("（空の行 {n}行は飛ばします）", n=preview.blank_rows)
    return text


def plan_text(preview: ImportPreview) -> str:
    if preview.kind == HOUSEHOLDS:
        text = tr("取り込むと、{h}世帯（世帯員 {p}人）を登録します。", h=preview.households, p=preview.persons)
        if preview.add_districts:
            text += tr("使われている新しい地区も登録します。")
        return text
    if preview.kind == SALON_REGULARS:
        return tr("取り込むと、サロンの常連 {n}人を登録します。", n=preview.items)
    return tr("取り込むと、関係機関 {n}件を登録します。", n=preview.items)


class ListImportDialog(QDialog):
    imported = Signal(object)          # ImportResult
    progress = Signal(int, int, str)   # from the worker; queued to the GUI thread

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, kind: str = HOUSEHOLDS):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("名簿を取り込む"))
        self.setModal(True)
        self.imported.connect(self._announce)
        self.setMinimumSize(760, 520)
        self.table_data: SheetTable | None = None
        self.preview: ImportPreview | None = None
        self.result: ImportResult | None = None
        self.busy: QProgressDialog | None = None
        self._cancel = False
        self._refocus: QWidget | None = None
        self.combos: dict[int, QComboBox] = {}
        self.districts = []
        self.salons = []
        # The file question, replaceable in tests.
        self.ask_file = lambda: QFileDialog.getOpenFileName(self, tr("取り込む名簿を選ぶ"), self._folder(), tr(FILE_FILTER))[0]

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_setup())
        self.stack.addWidget(self._build_review())
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        dialogs.fit_to_screen(self, QSize(940, 660))
        self.progress.connect(self._progress_moved)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self._kind_changed()
        self.ctx.executor.submit(self._load_choices, self.ctx.store, on_done=self._choices_loaded,
                                 on_error=self.errors.show_error, owner=self)

    # ---- step 1: file, kind, columns ----------------------------------------------------

    def _build_setup(self) -> QWidget:
        page = QWidget()
        title = QLabel(tr("1. ファイルと列を選ぶ"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        intro = QLabel(tr("Excel（.xlsx）かCSVの名簿を選ぶと、見出しから列の意味を推測します。"
                          "違っているところは右の欄で直してください。まだ何も登録されません。"))
        intro.setWordWrap(True)

        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.path.setPlaceholderText(tr("ファイルが選ばれていません"))
        self.path.setAccessibleName(tr("選んだファイル"))
        self.choose_button = QPushButton(tr("ファイルを選ぶ(&F)…"))
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose_button)
        self.sheet = QComboBox()
        self.sheet.setMinimumWidth(220)
        self.sheet.setAccessibleName(tr("シート"))
        self.sheet.setEnabled(False)
        self.sheet.activated.connect(self._sheet_chosen)
        self.kind = QComboBox()
        self.kind.setAccessibleName(tr("名簿の種類"))
        for kind in KINDS:
            self.kind.addItem(kind_label(kind), kind)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.kind_hint = QLabel()
        self.kind_hint.setWordWrap(True)
        self.kind_hint.setStyleSheet("color: #555;")
        self.district = QComboBox()
        self.district.setMinimumWidth(220)
        self.district.setAccessibleName(tr("地区の列がない行を登録する地区"))
        self.salon = QComboBox()
        self.salon.setMinimumWidth(220)
        self.salon.setAccessibleName(tr("サロン名の列がない行を登録するサロン"))
        self.flag = QComboBox()
        self.flag.setAccessibleName(tr("取り込むすべての世帯に付ける特徴"))
        self.flag.addItem(tr("付けない"), "")
        for flag in HOUSEHOLD_FLAGS:
            self.flag.addItem(flag, flag)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(tr("ファイル"), file_row)
        form.addRow(tr("シート"), self.sheet)
        form.addRow(tr("名簿の種類"), self.kind)
        form.addRow("", self.kind_hint)
        self.district_label = QLabel(tr("地区の列がない行の地区"))
        form.addRow(self.district_label, self.district)
        self.salon_label = QLabel(tr("サロン名の列がない行のサロン"))
        form.addRow(self.salon_label, self.salon)
        self.flag_label = QLabel(tr("すべての世帯に付ける特徴"))
        form.addRow(self.flag_label, self.flag)
        self.form = form

        self.header_info = QLabel()
        self.header_info.setWordWrap(True)
        self.columns_area = QScrollArea()
        self.columns_area.setWidgetResizable(True)
        self.columns_area.setFrameShape(QFrame.Shape.StyledPanel)
        self.columns_area.setMinimumHeight(200)
        self.columns_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the combos inside
        self.columns_box = QWidget()
        outer = QVBoxLayout(self.columns_box)
        self.columns_grid = QGridLayout()
        self.columns_grid.setVerticalSpacing(6)
        outer.addLayout(self.columns_grid)
        outer.addStretch(1)  # rows stay together at the top
        self.columns_area.setWidget(self.columns_box)
        self._show_no_columns()

        self.errors = ErrorLabel()
        self.check_button = QPushButton(tr("確認する(&C)"))
        self.check_button.setDefault(True)
        self.check_button.setEnabled(False)
        self.check_button.clicked.connect(self.run_check)
        self.close_setup_button = QPushButton(tr("閉じる"))
        self.close_setup_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.close_setup_button)

        layout = QVBoxLayout(page)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.header_info)
        layout.addWidget(self.columns_area, 1)
        layout.addWidget(self.errors)
        layout.addLayout(buttons)
        return page

    @staticmethod
    def _load_choices(store):
        return list_districts(store), list_salons(store, include_inactive=True)

    def _choices_loaded(self, choices) -> None:
        self.districts, self.salons = choices
        fill_district_combo(self.district, self.districts, empty_label=tr("選ばない（列の地区を使う）"))
        self.salon.clear()
        self.salon.addItem(tr("選ばない（列のサロン名を使う）"), None)
        for salon in self.salons:
            self.salon.addItem(salon.name, salon.id)

    def _folder(self) -> str:
        return str(self.ctx.ui_settings.q.value("list_import/folder", "") or Path.home())

    def _kind_changed(self) -> None:
        kind = self.current_kind()
        self.kind_hint.setText(tr(KIND_HINTS[kind]))
        for widget, label, shown in ((self.district, self.district_label, kind == HOUSEHOLDS),
                                     (self.flag, self.flag_label, kind == HOUSEHOLDS),
                                     (self.salon, self.salon_label, kind == SALON_REGULARS)):
            widget.setVisible(shown)
            label.setVisible(shown)
        if self.table_data is not None:
            self._fill_columns(guess_mapping(self.table_data.columns, kind))

    def current_kind(self) -> str:
        return self.kind.currentData() or HOUSEHOLDS

    def choose_file(self) -> None:
        chosen = self.ask_file()
        if chosen:
            self.load_file(chosen)

    def load_file(self, path: str, sheet: str | None = None) -> None:
        """Read the file (or another sheet of it) in the worker."""
        self.errors.clear_error()
        self.path.setText(path)
        self.path.setToolTip(path)
        self.ctx.ui_settings.q.setValue("list_import/folder", str(Path(path).parent))  # a folder, never a record
        self.check_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self.ctx.executor.submit(load_table, self.ctx.store, Path(path), sheet, on_done=self._file_loaded,
                                 on_error=self._file_failed, owner=self)

    def _sheet_chosen(self) -> None:
        if self.table_data is not None and self.sheet.currentText() != self.table_data.sheet:
            self.load_file(self.path.text(), self.sheet.currentText())

    def _file_failed(self, error: BaseException) -> None:
        self.choose_button.setEnabled(True)
        self.table_data = None
        self._show_no_columns()
        self.header_info.setText("")
        self._report(error)

    def _file_loaded(self, table: SheetTable) -> None:
        self.choose_button.setEnabled(True)
        self.table_data = table
        self._tick_add_districts(False)  # asked again for each list
        self.sheet.blockSignals(True)
        self.sheet.clear()
        for name in table.sheets:
            self.sheet.addItem(name)
        self.sheet.setCurrentText(table.sheet)
        self.sheet.setEnabled(len(table.sheets) > 1)
        self.sheet.blockSignals(False)
        header = "〜".join(str(n) for n in table.header_rows)
        encoding = {"utf-8": "UTF-8", "cp932": "Shift_JIS"}.get(table.encoding, "")
        info = tr("見出し：{rows}行目　行数：{n}行", rows=header, n=len(table.rows))
        if encoding:
            info += tr("　文字コード：{enc}", enc=encoding)
        self.header_info.setText(info)
        self._fill_columns(guess_mapping(table.columns, self.current_kind()))
        self.check_button.setEnabled(True)
        self.check_button.setFocus()

    def _show_no_columns(self) -> None:
        self._clear_grid()
        note = QLabel(tr("ファイルを選ぶと、ここに列の一覧が出ます。"))
        note.setStyleSheet("color: #555; padding: 16px;")
        self.columns_grid.addWidget(note, 0, 0)
        note.show()

    def _clear_grid(self) -> None:
        self.combos = {}
        while self.columns_grid.count():
            item = self.columns_grid.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()

    def _fill_columns(self, mapping: dict[int, str | None]) -> None:
        self._clear_grid()
        kind = self.current_kind()
        for col, text in enumerate((tr("列"), tr("ファイルの見出し"), tr("内容の例"), tr("取り込む項目"))):
            head = QLabel(text)
            head.setStyleSheet("font-weight: bold;")
            self.columns_grid.addWidget(head, 0, col)
            head.show()
        specs = fields_of(kind)
        for row, column in enumerate(self.table_data.columns, start=1):
            letter = QLabel(column.letter)
            header = QLabel(column.label)
            header.setWordWrap(True)
            samples = QLabel("、".join(column.samples) or tr("（空）"))
            samples.setStyleSheet("color: #555;")
            samples.setWordWrap(True)
            combo = QComboBox()
            combo.addItem(tr("取り込まない"), None)
            for spec in [s for s in specs if not is_flag_field(s.key)]:
                combo.addItem(tr(spec.label) + ("＊" if spec.required else ""), spec.key)
            flags = [s for s in specs if is_flag_field(s.key)]
            if flags:  # one ○ column per flag, after the ordinary fields
                combo.insertSeparator(combo.count())
                for spec in flags:
                    combo.addItem(tr(spec.label), spec.key)
            combo.setCurrentIndex(max(0, combo.findData(mapping.get(column.index))))
            combo.setAccessibleName(tr("「{label}」の列（{letter}列）を取り込む項目", label=column.label,
                                       letter=column.letter))
            combo.setMinimumWidth(180)
            header.setBuddy(combo)
            self.combos[column.index] = combo
            for col, widget in enumerate((letter, header, samples, combo)):
                self.columns_grid.addWidget(widget, row, col)
                widget.show()  # at once, so Tab reaches the combos before the next event loop turn
        self.columns_grid.setColumnStretch(1, 2)
        self.columns_grid.setColumnStretch(2, 3)
        self.columns_grid.setColumnMinimumWidth(0, 36)
        chain = [self.flag, *self.combos.values(), self.check_button]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    def mapping(self) -> dict[int, str | None]:
        return {index: combo.currentData() for index, combo in self.combos.items()}

    def options(self) -> ImportOptions:
        kind = self.current_kind()
        flag = self.flag.currentData() if kind == HOUSEHOLDS else ""
        return ImportOptions(default_district_id=self.district.currentData() if kind == HOUSEHOLDS else None,
                             default_salon_id=self.salon.currentData() if kind == SALON_REGULARS else None,
                             household_flags=(flag,) if flag else (),
                             add_districts=kind == HOUSEHOLDS and self.add_districts.isChecked())

    # ---- checking (the dry run) ---------------------------------------------------------

    def run_check(self) -> None:
        if self.table_data is None or self.busy is not None:
            return
        self.errors.clear_error()
        self._start_busy(tr("名簿を確かめています…"), cancellable=True)
        table, kind, mapping, options = self.table_data, self.current_kind(), self.mapping(), self.options()
        report, store = self._reporter(cancellable=True), self.ctx.store
        self.ctx.executor.submit(lambda: preview_import(store, table, kind, mapping, options, progress=report),
                                 on_done=self._checked, on_error=self._check_failed, owner=self)

    def _reporter(self, *, cancellable: bool):
        def report(done: int, total: int, label: str) -> None:
            if cancellable and self._cancel:
                raise _Cancelled()
            try:
                self.progress.emit(done, total, label)
            except RuntimeError:  # the dialog went away meanwhile
                pass
        return report

    def _check_failed(self, error: BaseException) -> None:
        self._end_busy()
        self._refocus = None
        if self.preview is not None:  # the tick says what the preview shown was checked with
            self._tick_add_districts(self.preview.add_districts)
        if isinstance(error, _Cancelled):
            self.errors.show_error(tr("確認を中止しました。何も変わっていません。"))
            return
        self._report(error)

    def _checked(self, preview: ImportPreview) -> None:
        self._end_busy()
        self.preview = preview
        self.result = None
        self._show_preview()
        self.stack.setCurrentIndex(1)
        (self._refocus or self.preview_table).setFocus()
        self._refocus = None

    # ---- step 2: the preview ------------------------------------------------------------

    def _build_review(self) -> QWidget:
        page = QWidget()
        title = QLabel(tr("2. 内容を確かめて取り込む"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.counts = QLabel()
        self.counts.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.counts.setAccessibleName(tr("確認の結果の件数"))
        self.plan = QLabel()
        self.plan.setWordWrap(True)
        self.file_problems = ErrorLabel()
        self.districts_box = QFrame()
        self.districts_box.setObjectName("newDistricts")
        self.districts_box.setStyleSheet("#newDistricts { background: #fff4d6; border: 1px solid #d9b650; }")
        self.districts_label = QLabel()
        self.districts_label.setWordWrap(True)
        self.add_districts = QCheckBox(tr("この地区を登録して取り込む(&D)"))
        self.add_districts.setAccessibleName(tr("名簿にあって、まだ登録されていない地区を登録して取り込む"))
        self.add_districts.toggled.connect(self._add_districts_toggled)
        box = QVBoxLayout(self.districts_box)
        box.addWidget(self.districts_label)
        box.addWidget(self.add_districts, 0, Qt.AlignmentFlag.AlignLeft)
        self.districts_box.setVisible(False)
        self.preview_table = make_table(("行", "氏名・名称", "状態", "問題・注意"), (64, 160, 190))
        self.preview_table.setAccessibleName(tr("行ごとの確認の結果"))
        self.preview_table.setWordWrap(True)
        self.only_problems = QCheckBox(tr("問題のある行だけを表示する(&P)"))
        self.only_problems.toggled.connect(self._filter_rows)
        self.skip_invalid = QCheckBox(tr("問題のある行を除いて取り込む(&S)"))
        self.skip_invalid.toggled.connect(self._update_apply)
        self.done_label = QLabel()
        self.done_label.setWordWrap(True)
        self.done_label.setStyleSheet("color: #1b5e20; font-size: 12pt; font-weight: bold;")
        self.done_label.setVisible(False)
        self.review_errors = ErrorLabel()

        self.back_button = QPushButton(tr("戻る(&B)"))
        self.back_button.clicked.connect(self._back)
        self.apply_button = QPushButton(tr("取り込む(&I)"))
        self.apply_button.clicked.connect(self.run_apply)
        self.close_button = QPushButton(tr("閉じる"))
        self.close_button.clicked.connect(self._close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.close_button)
        ticks = QHBoxLayout()
        ticks.addWidget(self.only_problems)
        ticks.addStretch(1)
        ticks.addWidget(self.skip_invalid)

        layout = QVBoxLayout(page)
        layout.addWidget(title)
        layout.addWidget(self.counts)
        layout.addWidget(self.plan)
        layout.addWidget(self.file_problems)
        layout.addWidget(self.districts_box)
        layout.addWidget(self.preview_table, 1)
        layout.addLayout(ticks)
        layout.addWidget(self.done_label)
        layout.addWidget(self.review_errors)
        layout.addLayout(buttons)
        return page

    def _show_preview(self) -> None:
        preview = self.preview
        self.counts.setText(counts_text(preview))
        self.plan.setText(plan_text(preview) if preview.ready_rows else tr("取り込める行がありません。"))
        if preview.file_problems:
            self.file_problems.show_error("\n".join(p.message for p in preview.file_problems))
        else:
            self.file_problems.clear_error()
        self.done_label.setVisible(False)
        self.review_errors.clear_error()
        self.districts_box.setVisible(bool(preview.new_districts))
        self.districts_label.setText(new_districts_text(preview) if preview.new_districts else "")
        self._tick_add_districts(preview.add_districts)
        self.add_districts.setEnabled(self.result is None)
        table = self.preview_table
        table.setRowCount(len(preview.rows))
        for r, row in enumerate(preview.rows):
            messages = [p.shown for p in row.problems]
            if row.status == PROBLEM and preview.file_problems and not messages:
                messages = [tr("ファイル全体の問題を直してください。")]
            status = row.status_label
            items = [QTableWidgetItem(tr("{n}行目", n=row.number)), QTableWidgetItem(row.name),
                     QTableWidgetItem(("× " if row.status == PROBLEM else "") + status),
                     QTableWidgetItem("\n".join(messages))]
            background = {PROBLEM: PROBLEM_BACKGROUND, WARNING: WARNING_BACKGROUND}.get(row.status)
            for item in items:
                item.setToolTip(item.text())
                if background:
                    item.setBackground(QBrush(QColor(background)))
                if row.status == BLANK:
                    item.setForeground(QBrush(QColor(BLANK_COLOUR)))
            if row.status == PROBLEM:
                items[2].setForeground(QBrush(QColor(ERROR_COLOUR)))
                font = items[2].font()
                font.setBold(True)
                items[2].setFont(font)
            for c, item in enumerate(items):
                table.setItem(r, c, item)
        table.resizeRowsToContents()
        self.skip_invalid.setChecked(False)
        self.skip_invalid.setEnabled(bool(preview.problem_rows and preview.ready_rows and not preview.file_problems))
        self._filter_rows()
        self._update_apply()

    def _add_districts_toggled(self) -> None:
        """One confirmation: check again with the new districts registered by the import (or not)."""
        if self.preview is not None and self.result is None:
            self._refocus = self.add_districts
            self.run_check()

    def _tick_add_districts(self, ticked: bool) -> None:
        self.add_districts.blockSignals(True)
        self.add_districts.setChecked(ticked)
        self.add_districts.blockSignals(False)

    def _filter_rows(self) -> None:
        if self.preview is None:
            return
        only = self.only_problems.isChecked()
        for r, row in enumerate(self.preview.rows):
            self.preview_table.setRowHidden(r, only and row.status not in (PROBLEM, WARNING))

    def _update_apply(self) -> None:
        can = self.preview is not None and self.result is None and self.preview.can_apply(self.skip_invalid.isChecked())
        self.apply_button.setEnabled(bool(can))
        self.apply_button.setDefault(bool(can))

    def _back(self) -> None:
        self.stack.setCurrentIndex(0)
        self.check_button.setFocus()

    def _close(self) -> None:
        if self.result is not None:
            self.accept()
        else:
            self.reject()

    # ---- importing ----------------------------------------------------------------------

    def run_apply(self) -> None:
        preview = self.preview
        skip = self.skip_invalid.isChecked()
        if preview is None or not preview.can_apply(skip) or self.busy is not None:
            return
        question = plan_text(preview)
        if preview.problem_rows:
            question += tr("問題のある {n}行は取り込みません。", n=preview.problem_rows)
        if not dialogs.confirm(self, tr("名簿を取り込む"), question + tr("よろしいですか？"), yes=tr("取り込む")):
            return
        self.review_errors.clear_error()
        self._start_busy(tr("取り込んでいます…（途中で止まっても、半分だけ登録されることはありません）"), cancellable=False)
        table, kind, mapping, options = self.table_data, self.current_kind(), self.mapping(), self.options()
        report, store = self._reporter(cancellable=False), self.ctx.store
        self.ctx.executor.submit(
            lambda: apply_import(store, table, kind, mapping, options, skip_invalid=skip, progress=report),
            on_done=self._applied, on_error=self._apply_failed, owner=self)

    def _applied(self, result: ImportResult) -> None:
        self._end_busy()
        self.result = result
        self.done_label.setText(result_text(result))
        self.done_label.setVisible(True)
        self.apply_button.setEnabled(False)
        self.apply_button.setDefault(False)
        self.skip_invalid.setEnabled(False)
        self.add_districts.setEnabled(False)
        self.back_button.setEnabled(False)
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self.imported.emit(result)

    def _announce(self, result: ImportResult) -> None:
        for kind in IMPORTED_KINDS.get(result.kind, (HOUSEHOLD,)):
            self.ctx.changed(kind)

    def _apply_failed(self, error: BaseException) -> None:
        self._end_busy()
        preview = getattr(error, "preview", None)
        if preview is not None:  # something changed since the check: show the new state
            self.preview = preview
            self._show_preview()
        self._report(error, self.review_errors)

    # ---- progress and errors ------------------------------------------------------------

    def _start_busy(self, text: str, *, cancellable: bool) -> None:
        self._cancel = False
        busy = QProgressDialog(text, tr("中止") if cancellable else "", 0, 0, self)
        busy.setWindowTitle(tr("名簿を取り込む"))
        if not cancellable:
            busy.setCancelButton(None)
        busy.setMinimumDuration(0)
        busy.setAutoClose(False)
        busy.setAutoReset(False)
        busy.setWindowModality(Qt.WindowModality.WindowModal)
        busy.setMinimumWidth(460)
        busy.canceled.connect(self._cancel_requested)
        busy.show()
        self.busy = busy
        for button in (self.check_button, self.apply_button, self.choose_button, self.back_button):
            button.setEnabled(False)

    def _cancel_requested(self) -> None:
        self._cancel = True

    def _progress_moved(self, done: int, total: int, label: str) -> None:
        if self.busy is None:
            return
        self.busy.setMaximum(max(1, total))
        self.busy.setValue(min(done, max(1, total)))
        if label:
            self.busy.setLabelText(label)

    def _end_busy(self) -> None:
        if self.busy is not None:
            self.busy.canceled.disconnect(self._cancel_requested)
            self.busy.close()
            self.busy.deleteLater()
            self.busy = None
        self.check_button.setEnabled(self.table_data is not None)
        self.choose_button.setEnabled(True)
        self.back_button.setEnabled(self.result is None)
        self._update_apply()

    def _report(self, error: BaseException, label: ErrorLabel | None = None) -> None:
        if not isinstance(error, UserError):
            log.error("list import failed", exc_info=error)
        (label or self.errors).show_error(error)


IMPORTED_KINDS = {HOUSEHOLDS: (HOUSEHOLD, REGISTER), SALON_REGULARS: (HOUSEHOLD, SALON), AGENCIES: (REGISTER,)}


def open_list_import(ctx: AppContext, parent: QWidget, on_imported=None, *, kind: str = HOUSEHOLDS) -> ListImportDialog:
    """Open the dialog (the 世帯 page's 「名簿を取り込む…」, and any menu that wants it)."""
    dialog = ListImportDialog(ctx, parent, kind=kind)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if on_imported is not None:
        dialog.imported.connect(on_imported)
    dialog.open()
    return dialog
