"""はじめにすること: the short list of first steps shown once, when the main window first opens
after the setup wizard (created a council, or joined one from an enrolment file). Each step
has a button that takes the person there and, where it helps, the guide's page about it.
The list can be opened again from ヘルプ → はじめにすること…"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from shakyo_desk.i18n import tr
from shakyo_desk.ui.help_window import INDEX, open_guide
from shakyo_desk.ui.dialogs import fit_to_screen
from shakyo_desk.ui.setup_state import CREATE, JOIN


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    action: str  # "page:<key>", "backup", "contact", "guide"
    button: str
    guide: str = ""  # a page of docs/ja to read about it


CREATE_STEPS = (
    Step("地区を登録する", "世帯を分ける地区（行政区・集落）を、最初に登録します。",
         "page:districts", "「地区」の画面を開く"),
    Step("職員のアカウントを作る", "職員ひとりにひとつ、アカウントを作ります。アカウントは共有しないでください。",
         "page:accounts", "「アカウント」の画面を開く"),
    Step("名簿を取り込む", "今お使いの名簿（一人暮らし高齢者名簿など）から世帯を登録します。"
         "「世帯」の画面の「名簿を取り込む…」から取り込めます。1世帯ずつなら「新しい世帯」から登録します。",
         "page:households", "「世帯」の画面を開く"),
    Step("バックアップの場所を決める", "バックアップ専用のUSBメモリを1本決めて、最初のバックアップを作ります。"
         "そのあとは週に1回が目安です。", "backup", "バックアップを作成…", "backup.md"),
    Step("操作ガイドを読む", "訪問記録、サロン、把握シート、同期、会議資料、集計の使い方をまとめています。"
         "いつでも F1 キーで開けます。", "guide", "操作ガイドを開く"),
)

JOIN_STEPS = (
    Step("同期の仕方を知る", "記録は、USBメモリで「同期ファイル」を運んで事務局の端末と受け渡します。"
         "事務局に戻ったら、書き出しと取り込みをしてください。", "page:sync", "「同期」の画面を開く", "sync.md"),
    Step("訪問記録の入れ方を知る", "訪問や電話のあとは、どの画面からでも Ctrl+N で訪問記録をすぐに入力できます。"
         "キーボードだけで入力できます。", "contact", "訪問記録を入力…", "visits.md"),
    Step("操作ガイドを読む", "サロンの記録、把握シート、見守り予定などの使い方をまとめています。"
         "いつでも F1 キーで開けます。", "guide", "操作ガイドを開く"),
)

INTRO = {
    CREATE: "社協デスクの準備ができました。まず、次のことから始めてください。",
    JOIN: "このパソコンで社協デスクを使う準備ができました。はじめに、次のことを確かめてください。",
}


class FirstStepsDialog(QDialog):
    """Not modal: the person can follow a step and come back to the list."""

    def __init__(self, window, mode: str = CREATE):
        super().__init__(window)
        self.window_ = window
        self.mode = mode
        self.setWindowTitle(tr("はじめにすること"))
        self.setModal(False)
        heading = QLabel(tr("はじめにすること"))
        heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr(INTRO[mode]))
        intro.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        self.buttons: dict[str, QPushButton] = {}
        self.guide_buttons: dict[str, QPushButton] = {}
        row = 0
        for number, step in enumerate(self.steps(), 1):
            mark = QLabel(str(number))
            mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
            mark.setFixedSize(32, 32)
            mark.setStyleSheet("background: #2f6b9a; color: white; border-radius: 16px; font-weight: bold; "
                               "font-size: 12pt;")
            title = QLabel(f"<b>{tr(step.title)}</b><br>{tr(step.text)}")
            title.setWordWrap(True)
            title.setMinimumWidth(360)
            button = QPushButton(tr(step.button))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, s=step: self.run(s))
            self.buttons[step.title] = button
            actions = QVBoxLayout()
            actions.addWidget(button)
            if step.guide:
                read = QPushButton(tr("ガイドを読む"))
                read.setAutoDefault(False)
                read.clicked.connect(lambda _c=False, s=step: self.read(s))
                self.guide_buttons[step.title] = read
                actions.addWidget(read)
            actions.addStretch(1)
            grid.addWidget(mark, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(title, row, 1)
            grid.addLayout(actions, row, 2)
            row += 1
            if number < len(self.steps()):
                line = QFrame()
                line.setFrameShape(QFrame.Shape.HLine)
                line.setStyleSheet("color: #d8dde3;")
                grid.addWidget(line, row, 0, 1, 3)
                row += 1
        later = QLabel(tr("この一覧は、メニューの「ヘルプ」→「はじめにすること…」から、いつでも開けます。"))
        later.setWordWrap(True)
        later.setStyleSheet("color: #555;")
        self.close_button = QPushButton(tr("閉じる"))
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(later, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(grid)
        layout.addSpacing(6)
        layout.addLayout(bottom)
        self._hide_what_the_role_lacks()
        fit_to_screen(self, QSize(720, self.sizeHint().height()))

    def steps(self) -> tuple[Step, ...]:
        return CREATE_STEPS if self.mode == CREATE else JOIN_STEPS

    def _page_keys(self) -> set[str]:
        return {spec.key for spec in getattr(self.window_, "specs", ())}

    def _hide_what_the_role_lacks(self) -> None:
        """A step whose screen this account cannot open keeps its sentence but loses the button."""
        keys = self._page_keys()
        for step in self.steps():
            if step.action.startswith("page:") and step.action[5:] not in keys:
                self.buttons[step.title].setVisible(False)
            if step.action == "backup" and not hasattr(self.window_, "start_backup"):
                self.buttons[step.title].setVisible(False)

    def run(self, step: Step) -> None:
        window = self.window_
        if step.action.startswith("page:"):
            window.show_page(step.action[5:])
            window.raise_()
            window.activateWindow()
        elif step.action == "backup":
            window.start_backup()
        elif step.action == "contact":
            window.new_contact()
        elif step.action == "guide":
            self.read(step)

    def read(self, step: Step) -> None:
        open_guide(self.window_, step.guide or INDEX)


def show_first_steps(window, mode: str) -> FirstStepsDialog:
    dialog = FirstStepsDialog(window, mode)
    window.first_steps = dialog
    dialog.show()
    dialog.raise_()
    return dialog


def is_office(store) -> bool:
    """Whether this installation made the council's data (the office PC) — a worker task."""
    from shakyo_desk.store.exchange import identity

    with store.read() as s:
        return identity.load(s.connection()).is_office


def open_first_steps(window) -> None:
    """ヘルプ → はじめにすること: the list for an office PC or for a joined one."""
    window.ctx.executor.submit(is_office, window.ctx.store,
                               on_done=lambda office: show_first_steps(window, CREATE if office else JOIN),
                               on_error=lambda _e: show_first_steps(window, CREATE), owner=window)
