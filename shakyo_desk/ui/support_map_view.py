"""支え合いマップ tab of the 地域 page (issue 19): a district (its 集落 included), the map drawn
from the same layout as the PDF (``reports.map_layout``), its counts and legend, and beside it
the elderly households with no tie. The map itself is minimised (numbers, kind letters) as on
paper; the list beside it names the heads — the account may see those households anyway (the
districts offered are its own), and a name is what staff act on. 「PDFに出力…」 makes the A3/A4
PDF in the worker; names on it only for the roles the handout rule allows, and refused, with
the sentence shown here, while a supporter on the map has not agreed to be contacted."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QStandardPaths, Qt
from PySide6.QtGui import (
    QBrush, QColor, QFont, QKeySequence, QPainter, QPainterPath, QPen, QPolygonF, QShortcut, QTransform,
)
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QGraphicsEllipseItem, QGraphicsItem,
    QGraphicsPolygonItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView, QHBoxLayout,
    QLabel, QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import UserError
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.reports import map_style as style
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.store.services.support_map import KIND_LETTERS, names_allowed
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.widgets import Column, fill_district_combo, fill_table, make_table, selected_id
from shakyo_desk.ui.worker import LatestOnly

SCENE = 1000.0  # scene units for the layout's longer side
HOUSEHOLD_ROLE = 0  # QGraphicsItem.data key holding a household node's id
UNTIED_FIT = (Column("123", 50), Column("上集落", 90, drop=1), Column("山田 ハル", 120, stretch=True),
              Column("一人暮らし高齢者", 130, drop=2))


def load_map(store, district_id: str):
    """In the worker: the map, its layout and the heads' names for the list (no Qt)."""
    from shakyo_desk.reports.support_map_pdf import map_layout
    from shakyo_desk.store.services.support_map import build_map, untied_names

    m = build_map(store, district_id)
    heads = untied_names(store, district_id) if m.untied() else {}
    return m, map_layout(m), heads


def visible_districts(store):
    """The districts the account may map: its own (with their 集落); everything for coordinators."""
    from shakyo_desk.domain.roles import sees_all_households

    rows = list_districts(store)
    if sees_all_households(store.actor.role):
        return rows
    return [d for d in rows if d.id in store.actor.district_ids]


def build_scene(m, placed) -> QGraphicsScene:
    """Everything drawn in scene units: 集落 discs and names, one path per kind of tie (a few
    items, however many ties), then the nodes (households carry their id for a double click)."""
    scene = QGraphicsScene()
    scale = SCENE

    radius = placed.node_radius * scale
    names = {a.id: a.name for a in m.areas}
    label_font = QFont()
    label_font.setPointSizeF(max(radius * 0.9, 1.0))
    area_font = QFont()
    area_font.setPointSizeF(11)
    area_font.setBold(True)
    for area_id, (x, y, r) in placed.areas.items():
        disc = scene.addEllipse(QRectF((x - r) * scale, (y - r) * scale, 2 * r * scale, 2 * r * scale),
                                QPen(QColor(style.AREA_COLOUR), 1.5, Qt.PenStyle.DashLine))
        disc.setZValue(-2)
        text = scene.addSimpleText(names.get(area_id, ""), area_font)
        # The same size on screen at any zoom (a whole district at once makes the discs small).
        text.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        box = text.boundingRect()
        text.setTransform(QTransform.fromTranslate(-box.width() / 2, -box.height() - 2))
        text.setPos(x * scale, (y - r) * scale)
    pos = {node: (x * scale, y * scale) for node, (x, y) in placed.positions.items()}
    paths: dict[tuple[str, bool], QPainterPath] = {}
    stale_marks = QPainterPath()
    for tie in m.ties:
        (x1, y1), (x2, y2) = pos[("h", tie.household_id)], pos[("s", tie.supporter)]
        path = paths.setdefault((tie.kind, tie.stale), QPainterPath())
        path.moveTo(x1, y1)
        path.lineTo(x2, y2)
        if tie.stale:
            stale_marks.addEllipse(QPointF((x1 + x2) / 2, (y1 + y2) / 2), radius * 0.35, radius * 0.35)
    width = max(1.0, radius * 0.22)
    for (kind, stale), path in paths.items():
        colour, dash = style.TIE_STYLES.get(kind, style.TIE_STYLES["その他"])
        pen = QPen(QColor(style.STALE_COLOUR if stale else colour), width)
        if dash:
            pen.setDashPattern(list(dash))
        item = scene.addPath(path, pen)
        item.setZValue(-1)
        item.setToolTip(kind + (tr("（1年以上未確認）") if stale else ""))
    if not stale_marks.isEmpty():
        scene.addPath(stale_marks, QPen(QColor(style.STALE_COLOUR), width), QBrush(Qt.GlobalColor.white)).setZValue(-1)
    ink = QPen(QColor("#1a1a1a"), max(0.8, radius * 0.08))
    untied_pen = QPen(QColor(style.UNTIED_COLOUR), max(2.0, radius * 0.25))
    for h in m.households:
        x, y = pos[("h", h.id)]
        item = QGraphicsEllipseItem(x - radius, y - radius, 2 * radius, 2 * radius)
        item.setPen(untied_pen if h.untied else ink)
        item.setBrush(QBrush(QColor(style.HOUSEHOLD_FILL)))
        item.setData(HOUSEHOLD_ROLE, h.id)
        item.setToolTip(tr("世帯 {n}", n=h.number) + (tr("（つながりなし）") if h.untied else ""))
        item.setCursor(Qt.CursorShape.PointingHandCursor)
        scene.addItem(item)
        _label(item, str(h.number), label_font, x, y)
        if h.relatives:
            mark = QGraphicsSimpleTextItem(tr(style.RELATIVE_MARK), item)
            mark.setFont(label_font)
            mark.setBrush(QBrush(QColor(style.STALE_COLOUR if h.relatives_stale else "#1a1a1a")))
            mark.setPos(x + radius * 0.75, y - radius * 1.3)
            item.setToolTip(item.toolTip() + tr("・離れて住む親族 {n}人", n=h.relatives))
    for s in m.supporters:
        x, y = pos[("s", s.key)]
        polygon = QPolygonF([QPointF(x + cx, y + cy) for cx, cy in style.shape(s.kind, radius)])
        item = QGraphicsPolygonItem(polygon)
        item.setPen(QPen(QColor("#1a1a1a"), max(3.0, radius * 0.4)) if s.many else ink)
        item.setBrush(QBrush(QColor(style.SUPPORTER_FILL)))
        item.setToolTip(tr("{label}（{kind}）：{n}世帯", label=s.label, kind=s.kind, n=s.households)
                        + (tr("・多くを担う") if s.many else ""))
        scene.addItem(item)
        _label(item, s.label, label_font, x, y)
    if pos:
        xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
        scene.nodes_rect = QRectF(min(xs) - 2 * radius, min(ys) - 2 * radius,
                                  max(xs) - min(xs) + 4 * radius, max(ys) - min(ys) + 4 * radius)
    return scene


def _label(parent, text: str, font: QFont, x: float, y: float) -> QGraphicsSimpleTextItem:
    label = QGraphicsSimpleTextItem(text, parent)
    label.setFont(font)
    box = label.boundingRect()
    label.setPos(x - box.width() / 2, y - box.height() / 2)
    return label


class MapView(QGraphicsView):
    """The map: wheel, + and - zoom; 0 or 「全体を表示」 fits; a double click on a household opens it."""

    def __init__(self, on_household=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.on_household = on_household
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAccessibleName(tr("支え合いマップ"))
        self.setMinimumSize(300, 240)
        for keys, factor in ((QKeySequence.StandardKey.ZoomIn, 1.25), (QKeySequence.StandardKey.ZoomOut, 0.8)):
            QShortcut(keys, self, lambda f=factor: self.zoom(f), context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("+"), self, lambda: self.zoom(1.25), context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("-"), self, lambda: self.zoom(0.8), context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("0"), self, self.fit, context=Qt.ShortcutContext.WidgetShortcut)

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)

    def fit(self) -> None:
        """The nodes filling the view (the 集落 discs may reach past them), with room for the labels."""
        scene = self.scene()
        if scene is not None:
            rect = getattr(scene, "nodes_rect", None) or scene.itemsBoundingRect()
            room = max(rect.width(), rect.height()) * 0.06
            self.fitInView(rect.adjusted(-room, -room, room, room), Qt.AspectRatioMode.KeepAspectRatio)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt API
        item = self.itemAt(event.position().toPoint())
        while item is not None and item.data(HOUSEHOLD_ROLE) is None:
            item = item.parentItem()
        if item is not None and self.on_household:
            self.on_household(item.data(HOUSEHOLD_ROLE))
            return
        super().mouseDoubleClickEvent(event)


class ExportDialog(QDialog):
    """Paper and names for the PDF (names greyed out for roles that may not print them)."""

    def __init__(self, may_name: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("支え合いマップのPDF"))
        self.paper = QComboBox()
        self.paper.addItem(tr("A3 横（懇談会の掲示用）"), "A3")
        self.paper.addItem(tr("A4 横"), "A4")
        self.names = QCheckBox(tr("名前を載せる(&N)"))
        self.names.setEnabled(may_name)
        hint = QLabel(tr("名前を載せられるのは、支え手全員が連絡・掲載に同意している場合だけです。")
                      if may_name else tr("名前入りのマップは、コーディネーターと管理者だけが作れます。"))
        hint.setWordWrap(True)
        form = QFormLayout()
        paper_label = QLabel(tr("用紙(&P)"))
        paper_label.setBuddy(self.paper)
        form.addRow(paper_label, self.paper)
        form.addRow("", self.names)
        buttons, _ = button_row(self, tr("保存先を選ぶ…"), self.accept, cancel_text=tr("キャンセル"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        fit_to_screen(self, self.sizeHint())


def ask_map_path(parent: QWidget, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, tr("支え合いマップの保存先"), suggested, tr("PDFファイル (*.pdf)"))
    return path


def default_map_path(district: str, day) -> str:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    stamp = format_wareki_short(day).replace(".", "-")
    return str(Path(folder) / tr("支え合いマップ_{district}_{stamp}.pdf", district=district, stamp=stamp))


class SupportMapTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.map = None
        self.scene: QGraphicsScene | None = None
        self._latest = LatestOnly()
        self.district = QComboBox()
        self.district.setMinimumWidth(160)
        self.district.setAccessibleName(tr("地区"))
        district_label = QLabel(tr("地区(&D)"))
        district_label.setBuddy(self.district)
        self.fit_button = QPushButton(tr("全体を表示(&F)"))
        self.zoom_in = QPushButton(tr("拡大(&+)"))
        self.zoom_out = QPushButton(tr("縮小(&-)"))
        self.pdf_button = QPushButton(tr("PDFに出力(&P)…"))
        self.pdf_button.setEnabled(False)
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.legend = QLabel(self._legend_text())
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: #333;")
        self.view = MapView(self.open_household)
        self.untied = make_table(("番号", "集落", "世帯主", "特徴"), fit=UNTIED_FIT)
        self.untied.setAccessibleName(tr("つながりのない世帯"))
        set_empty_hint(self.untied, tr("つながりのない一人暮らし高齢者・高齢者のみの世帯はありません。"))
        self.untied.doubleClicked.connect(lambda _index: self.open_household(selected_id(self.untied)))
        self.status = QLabel()
        self.status.setVisible(False)
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy while the PDF is made
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        self.errors = ErrorLabel()

        bar = QHBoxLayout()
        bar.addWidget(district_label)
        bar.addWidget(self.district)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.zoom_in)
        bar.addWidget(self.zoom_out)
        bar.addStretch(1)
        bar.addWidget(self.progress)
        bar.addWidget(self.pdf_button)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_title = QLabel(tr("つながりのない世帯（ダブルクリックで開く）"))
        side_title.setStyleSheet("font-weight: bold;")
        side_layout.addWidget(side_title)
        side_layout.addWidget(self.untied, 1)
        side_layout.addWidget(self.legend)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.view)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.counts)
        layout.addWidget(self.errors)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.setTabOrder(self.district, self.fit_button)
        self.setTabOrder(self.fit_button, self.zoom_in)
        self.setTabOrder(self.zoom_in, self.zoom_out)
        self.setTabOrder(self.zoom_out, self.pdf_button)
        self.setTabOrder(self.pdf_button, self.view)
        self.setTabOrder(self.view, self.untied)

        self.district.currentIndexChanged.connect(lambda _i: self.load())
        self.fit_button.clicked.connect(self.view.fit)
        self.zoom_in.clicked.connect(lambda: self.view.zoom(1.25))
        self.zoom_out.clicked.connect(lambda: self.view.zoom(0.8))
        self.pdf_button.clicked.connect(self.export_pdf)

    @staticmethod
    def _legend_text() -> str:
        kinds = "　".join(f"{letter}＝{kind}" for kind, letter in KIND_LETTERS.items())
        return "\n".join((tr("凡例：○世帯（番号）　◇□△など支え手（形は立場）　{kinds}", kinds=kinds),
                          tr("赤い輪：つながりなし　灰色の線と○：1年以上未確認　太い枠：多くを担う支え手"),
                          tr(style.MARK_RELATIVE),
                          tr("線の色と破線は支えの種類（見守り・声かけ・安否確認・買い物・送迎・ごみ出し・話し相手）")))

    # ---- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ctx.executor.submit(visible_districts, self.ctx.store, on_done=self._districts,
                                 on_error=self.errors.show_error, owner=self)

    def _districts(self, districts) -> None:
        fill_district_combo(self.district, districts, selected=self.district.currentData())
        if not districts:
            self._say(tr("地区がまだ登録されていません。管理者が「地区」の画面で地区を登録すると、地区ごとのマップが見られます。"))
        self.load()

    def _say(self, text: str) -> None:
        """What to do when the map is empty (shown above it; hidden when there is a map)."""
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def load(self) -> None:
        district_id = self.district.currentData()
        if not district_id:
            return
        self.errors.clear_error()
        seq = self._latest.next()
        self.ctx.executor.submit(load_map, self.ctx.store, district_id, on_done=self._latest.wrap(seq, self._show),
                                 on_error=self._latest.wrap(seq, self._failed), owner=self)

    def _failed(self, error) -> None:
        self.pdf_button.setEnabled(False)
        self.errors.show_error(error)

    def _show(self, loaded) -> None:
        m, placed, heads = loaded
        self.map = m
        self.scene = build_scene(m, placed)
        self.view.setScene(self.scene)
        self.view.resetTransform()
        self.view.fit()
        c = m.counts
        self.counts.setText(tr("世帯 {h}・支え手 {s}・つながりなし {u}・1年以上未確認 {stale}・多くを担う支え手 {many}"
                               "　（{day}現在）", h=c["households"], s=c["supporters"], u=c["untied"],
                               stale=c["stale"], many=c["many"], day=format_wareki(m.today)))
        areas = {a.id: a.name for a in m.areas}
        untied = m.untied()
        fill_table(self.untied, [(str(h.number), areas.get(h.area_id, ""), heads.get(h.id, ""), "・".join(h.flags))
                                 for h in untied], [h.id for h in untied])
        self.pdf_button.setEnabled(bool(m.households))
        self._say("" if m.households else tr(
            "この地区には、マップに載せる世帯（支え合いの関係がある世帯と、一人暮らし高齢者・高齢者のみの世帯）がまだありません。"
            "世帯の画面の「支え合い」のタブか、「支え合い」のタブの「一括入力…」で記録すると、ここに表示されます。"))

    def open_household(self, household_id) -> None:
        if household_id:
            self.ctx.navigator.open_household(household_id, self, on_error=self.errors.show_error)

    # ---- PDF ------------------------------------------------------------------------------

    def export_pdf(self) -> None:
        if self.map is None:
            return
        dialog = ExportDialog(names_allowed(self.ctx.store.actor.role), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        path = ask_map_path(self, default_map_path(self.map.district, self.map.today))
        if path:
            self.export_to(path, dialog.paper.currentData(), dialog.names.isChecked())

    def export_to(self, path: str, paper: str = "A3", names: bool = False) -> None:
        """Make the PDF in the worker; the refusal (names without consent …) shows in red here."""
        from shakyo_desk.reports.support_map_pdf import export_map

        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        store, district_id = self.ctx.store, self.map.district_id
        self.errors.clear_error()
        self.pdf_button.setEnabled(False)
        self.progress.setVisible(True)
        self.status.setText(tr("PDFを作っています…"))
        self.status.setVisible(True)

        def work():
            try:
                export_map(store, district_id, path, names=names, paper=paper)
            except OSError as error:
                raise UserError(tr("PDFを保存できませんでした。保存先の空き容量や、"
                                   "同じ名前のファイルを開いていないかを確かめてください。")) from error
            return path

        def done(written) -> None:
            self.pdf_button.setEnabled(True)
            self.progress.setVisible(False)
            self.status.setText(tr("支え合いマップを保存しました：{path}\n"
                                   "個人情報です。懇談会の後は回収し、処分してください。", path=os.fspath(written)))

        def failed(error) -> None:
            self.pdf_button.setEnabled(True)
            self.progress.setVisible(False)
            self.status.setVisible(False)
            self.errors.show_error(error)

        self.ctx.executor.submit(work, on_done=done, on_error=failed, owner=self)
