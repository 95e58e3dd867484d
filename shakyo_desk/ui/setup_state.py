"""The first-run setup as plain data and rules (no Qt), so it is testable
without a screen. The wizard pages only copy fields in and show messages.

Two ways through: create a new council (the office PC, the first installation) or join one
from a one-time enrolment file made at the office (a laptop). ``steps()`` is the order of
the wizard's pages for the chosen way."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from shakyo_desk.domain.errors import StoreError, UserError
from shakyo_desk.domain.text import clean
from shakyo_desk.i18n import tr
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.store import MIN_PASSPHRASE, Store, create_store, validate_login

CREATE, JOIN = "create", "join"
# Step names (the wizard maps each to a page).
START, ADMIN, JOIN_FILE, JOIN_ACCOUNT, FOLDER, FINISH = (
    "start", "admin", "join_file", "join_account", "folder", "finish")
STEPS = {CREATE: (START, ADMIN, FOLDER, FINISH), JOIN: (START, JOIN_FILE, JOIN_ACCOUNT, FOLDER, FINISH)}
ENROLMENT_SUFFIX = ".shakyo"
ENROLMENT_MAGIC = b"SHAKYOEN"  # sync.enrolment.MAGIC (a test keeps them equal)


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


def passphrase_errors(passphrase: str, again: str) -> list[str]:
    """The rule for a new passphrase typed twice (the administrator's, or a joining account's)."""
    if len(passphrase) < MIN_PASSPHRASE:
        return [tr("パスフレーズは{n}文字以上にしてください。", n=MIN_PASSPHRASE)]
    if passphrase != again:
        return [tr("確認のために入力したパスフレーズが一致しません。もう一度入力してください。")]
    return []


def normalise_code(text: str) -> str:
    """The one-time code as the service expects it (``ABCD-EFGH-JKMN``), from what was typed:
    lower case, spaces, hyphens or none, full-width characters from a Japanese input method."""
    from shakyo_desk.sync import enrolment  # not at import: the passphrase dialog uses this module too

    raw = enrolment.normalise_code(unicodedata.normalize("NFKC", text or ""))
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@dataclass(frozen=True)
class SetupResult:
    """What the worker hands back: the open store, its recovery key (shown once) and names to show."""

    store: Store
    recovery_key: str
    council_name: str
    device_name: str = ""
    # Joining: None when the enrolment file was used up; otherwise the sentence asking the
    # person to delete it now (the join itself succeeded).
    enrolment_warning: str | None = None


@dataclass
class SetupState:
    mode: str = CREATE
    council_name: str = ""
    municipality: str = ""
    login: str = "admin"
    display_name: str = ""
    passphrase: str = ""
    passphrase_again: str = ""
    folder: str = ""
    # joining from an enrolment file
    enrolment_file: str = ""
    code: str = ""
    join_login: str = ""
    join_passphrase: str = ""
    join_passphrase_again: str = ""
    device_name: str = ""
    recovery_key: str = ""
    created: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def joining(self) -> bool:
        return self.mode == JOIN

    def steps(self) -> tuple[str, ...]:
        return STEPS[self.mode]

    def next_step(self, step: str) -> str | None:
        steps = self.steps()
        if step not in steps or step == steps[-1]:
            return None
        return steps[steps.index(step) + 1]

    def start_errors(self) -> list[str]:
        """The first page: the way chosen and, to create, the council's name."""
        return [] if self.joining else self.council_errors()

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
        return errors + passphrase_errors(self.passphrase, self.passphrase_again)

    def enrolment_errors(self) -> list[str]:
        """The enrolment file and the one-time code (checked for form here; the code itself is
        proved only when the file is opened in the worker)."""
        errors = self.enrolment_file_errors()
        if not self.code.strip():
            errors.append(tr("登録コードを入力してください。"))
        else:
            try:
                normalise_code(self.code)
            except UserError as error:
                errors.append(error.message)
        return errors

    def enrolment_file_errors(self) -> list[str]:
        """The enrolment file alone (as soon as it is chosen): there, a file, not used up, and
        one of ours by its first bytes, whatever its name ends with."""
        errors = []
        text = self.enrolment_file.strip()
        path = Path(text).expanduser()
        if not text:
            errors.append(tr("登録ファイルを選んでください。"))
        elif not path.exists():
            errors.append(tr("登録ファイル「{path}」が見つかりません。USBメモリが差し込まれているか、場所を確かめてください。",
                             path=text))
        elif not path.is_file():
            errors.append(tr("指定した場所はファイルではありません。登録ファイル（{suffix}）を選んでください。",
                             suffix=ENROLMENT_SUFFIX))
        elif (used := _used_message(path)) is not None:
            errors.append(used)
        elif not _starts_with(path, ENROLMENT_MAGIC):
            errors.append(tr("このファイルは社協デスクの登録ファイルではありません。事務局で作った登録ファイル（{suffix}）を"
                             "選んでください。", suffix=ENROLMENT_SUFFIX))
        return errors

    def join_account_errors(self) -> list[str]:
        errors = []
        try:
            validate_login(self.join_login)
        except UserError as error:
            errors.append(error.message)
        return errors + passphrase_errors(self.join_passphrase, self.join_passphrase_again)

    def folder_errors(self) -> list[str]:
        text = self.folder.strip()
        if not text:
            return [tr("データフォルダを指定してください。")]
        path = Path(text)
        if not path.is_absolute():
            return [tr("フォルダは「C:\\」や「/」から始まる完全な場所で指定してください。")]
        if StoreLayout(path).exists() or (path / "shakyo.db").exists() or (path / "keys.json").exists():
            return [tr("このフォルダにはすでに社協デスクのデータがあります。別のフォルダを指定してください。")]
        if path.exists() and not path.is_dir():
            return [tr("指定した場所はフォルダではありません。別の場所を指定してください。")]
        return []

    def run(self, kdf: dict | None = None) -> SetupResult:
        """Create or join, as chosen (runs in the worker)."""
        return self.join(kdf) if self.joining else self.create(kdf)

    def create(self, kdf: dict | None = None) -> SetupResult:
        """Create the store (runs in the worker)."""
        store, key = create_store(
            Path(self.folder.strip()), self.council_name, self.login.strip(), self.passphrase,
            admin_name=self.display_name, municipality=self.municipality, kdf=kdf,
        )
        return SetupResult(store, key, clean(self.council_name))

    def join(self, kdf: dict | None = None) -> SetupResult:
        """This installation's store from the enrolment file (runs in the worker). A wrong code,
        an expired file or an unknown login is refused before anything is written; the store
        folder is removed again if building it fails."""
        from shakyo_desk.store.exchange import devices
        from shakyo_desk.store.services.council import get_settings

        joined = devices.join(Path(self.folder.strip()), Path(self.enrolment_file.strip()).expanduser(),
                              normalise_code(self.code), self.join_login.strip(), self.join_passphrase, kdf=kdf)
        store, key = joined
        try:
            return SetupResult(store, key, get_settings(store).name, devices.overview(store).device_name,
                               joined.warning)
        except BaseException:
            store.close()
            raise

    def failure_step(self, error: BaseException) -> str:
        """The page where the user can fix what made creating or joining fail."""
        if not self.joining or isinstance(error, StoreError):
            return FOLDER  # the folder (full disk, not writable, already holds data)
        if isinstance(error, UserError) and error.message.startswith("アカウント"):
            return JOIN_ACCOUNT  # the login is not one of the council's accounts, or is disabled
        return JOIN_FILE  # wrong code, expired or damaged file


def _used_message(path: Path) -> str | None:
    """Why an enrolment file that has been used up cannot be used again, or None."""
    from shakyo_desk.sync import enrolment  # not at import, as in normalise_code

    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    used = enrolment.read_used(head)
    return None if used is None else enrolment.used_message(used["device_name"], used["used_on"])


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False


def group_key(key: str) -> list[str]:
    """The recovery key as groups of five for reading aloud and copying."""
    return [g for g in key.replace(" ", "").split("-") if g]

