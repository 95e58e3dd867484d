"""The first-run setup as plain data and rules (no Qt), so it is testable
without a screen. The wizard pages only copy fields in and show messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shakyo_desk.domain.errors import UserError
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.store import MIN_PASSPHRASE, Store, create_store, validate_login


def passphrase_strength(passphrase: str) -> tuple[int, str]:
    """A rough 0–3 score and a hint in Japanese."""
    p = passphrase or ""
    if len(p) < MIN_PASSPHRASE:
        return 0, tr("短すぎます。{n}文字以上にしてください。", n=MIN_PASSPHRASE)
    kinds = sum(bool(any(test(c) for c in p)) for test in (
        str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum(), lambda c: ord(c) > 0x2E80))
    score = 1
    if len(p) >= 12 and kinds >= 2:
        score = 2
    if len(p) >= 16 and kinds >= 2 or (len(p) >= 12 and kinds >= 3):
        score = 3
    if len(set(p)) <= 3:
        score = 1
    hints = {
        1: tr("弱めです。単語をいくつか組み合わせて、もう少し長くすると安全です。"),
        2: tr("ふつうです。もう少し長くすると、より安全です。"),
        3: tr("強いパスフレーズです。"),
    }
    return score, hints[score]


@dataclass
class SetupState:
    council_name: str = ""
    municipality: str = ""
    login: str = "admin"
    display_name: str = ""
    passphrase: str = ""
    passphrase_again: str = ""
    folder: str = ""
    recovery_key: str = ""
    created: bool = False
    errors: list[str] = field(default_factory=list)

    def council_errors(self) -> list[str]:
        if not clean(self.council_name):
            return [tr("社協の名前を入力してください。")]
        return []

    def admin_errors(self) -> list[str]:
        errors = []
        try:
            validate_login(self.login)
        except UserError as error:
            errors.append(error.message)
        if not clean(self.display_name):
            errors.append(tr("表示名（氏名）を入力してください。"))
        if len(self.passphrase) < MIN_PASSPHRASE:
            errors.append(tr("パスフレーズは{n}文字以上にしてください。", n=MIN_PASSPHRASE))
        elif self.passphrase != self.passphrase_again:
            errors.append(tr("確認のために入力したパスフレーズが一致しません。もう一度入力してください。"))
        return errors

    def folder_errors(self) -> list[str]:
        text = self.folder.strip()
        if not text:
            return [tr("データを保存するフォルダを指定してください。")]
        path = Path(text)
        if not path.is_absolute():
            return [tr("フォルダは「C:\\」や「/」から始まる完全な場所で指定してください。")]
        if StoreLayout(path).exists() or (path / "shakyo.db").exists() or (path / "keys.json").exists():
            return [tr("このフォルダにはすでに社協デスクのデータがあります。別のフォルダを指定してください。")]
        if path.exists() and not path.is_dir():
            return [tr("指定した場所はフォルダではありません。別の場所を指定してください。")]
        return []

    def create(self, kdf: dict | None = None) -> tuple[Store, str]:
        """Create the store (runs in the worker)."""
        store, key = create_store(
            Path(self.folder.strip()), self.council_name, self.login.strip(), self.passphrase,
            admin_name=self.display_name, municipality=self.municipality, kdf=kdf,
        )
        return store, key


def group_key(key: str) -> list[str]:
    """The recovery key as groups of five for reading aloud and copying."""
    return [g for g in key.replace(" ", "").split("-") if g]


def recovery_sheet_html(council_name: str, key: str, today: date | None = None) -> str:
    """The printed recovery-key page (simple HTML for QTextDocument)."""
    today = today or date.today()
    groups = "&nbsp;&nbsp;".join(group_key(key))
    identity = getattr(key, "identity", "")
    identity_html = (f'<p>{tr("同期ファイルの復旧用の鍵（age）")}：<br/>'
                     f'<span style="font-family: monospace; font-size: 10pt;">{identity}</span></p>') if identity else ""
    return f"""
<html><body style="font-size: 12pt;">
<h1 style="font-size: 20pt;">{tr("社協デスク 復旧キー")}</h1>
<p>{tr("社協名")}：{council_name}<br/>{tr("作成日")}：{format_wareki(today)}</p>
<p style="font-family: 'BIZ UDGothic', monospace; font-size: 22pt; font-weight: bold;
 border: 2px solid black; padding: 12pt;">{groups}</p>
{identity_html}
<h2 style="font-size: 14pt;">{tr("この紙の扱い")}</h2>
<ul>
<li>{tr("全員がパスフレーズを忘れたときや、パソコンを入れ替えるときに、このキーでデータを開けます。")}</li>
<li>{tr("このキーがあれば誰でもデータを読めます。金庫など鍵のかかる安全な場所に保管してください。")}</li>
<li>{tr("コピーを取ったり、写真に撮ったり、パソコンに保存したりしないでください。")}</li>
<li>{tr("なくした場合は、すぐに管理者に相談してください。")}</li>
</ul>
</body></html>
"""
