"""A reporter's session (issue 16): what ``store.unlock`` gives a reporter instead of a Store.

A reporter holds no way to the data key, so their session never opens ``shakyo.db``: it has
their private key, the key file and the drop box (``store/dropbox.py``). It can file a sheet
(a sealed drop file) and list the reporter's own sheets with the statuses the council
published back to them. The services a reporter's screens use (``sheets.file_sheet``,
``list_sheets``, ``get_sheet``, ``concerns.list_concerns``, ``council.get_settings``) answer
from here when given a ReporterSession; anything else refuses (``read``/``write``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import date

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from shakyo_desk.domain.errors import AuthError, NotFound, StoreError
from shakyo_desk.domain.ids import new_id
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import DEFAULT_CONCERNS
from shakyo_desk.store import dropbox
from shakyo_desk.store.keyfile import NO_DATA_KEY, KeyFile, require_kdf
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.writer import Actor

# What a reporter's sheet does not carry: set by the filing session, or links a reporter cannot see.
REPORTER_OMITS = frozenset({"noticed_by", "status", "from_contact_id", "from_remark_id", "connected_agencies"})
LOCKED = "データはロックされています。もう一度ロックを解除してください。"
WRONG_CURRENT = "現在のパスフレーズが違います。もう一度入力してください。"
KEYS_NOT_SAVED = ("パスフレーズを変更できませんでした。ディスクの空き容量と、データフォルダに書き込めるかを確かめてください。"
                  "パスフレーズは元のままです。")


class ReporterSession:
    """An unlocked reporter: files sheets into the drop box and reads their own."""

    is_reporter_session = True

    def __init__(self, layout: StoreLayout, keyfile: KeyFile, login: str, private: X25519PrivateKey):
        self.layout = layout
        self.keyfile = keyfile
        self._private: X25519PrivateKey | None = private
        self.actor = Actor(None, login, login, Role.REPORTER)
        self.notices: list[str] = []

    # --- what a Store has, refused ---------------------------------------------------------
    @property
    def data_key(self) -> bytes:
        raise StoreError(NO_DATA_KEY)

    @contextmanager
    def read(self):
        raise StoreError(NO_DATA_KEY)
        yield  # pragma: no cover

    @contextmanager
    def write(self):
        raise StoreError(NO_DATA_KEY)
        yield  # pragma: no cover

    @property
    def is_open(self) -> bool:
        return self._private is not None

    def close(self) -> None:
        self._private = None

    def _key(self) -> X25519PrivateKey:
        if self._private is None:
            raise StoreError(LOCKED)
        return self._private

    # --- the reporter's work ------------------------------------------------------------------
    def concern_names(self) -> list[str]:
        names = dropbox.read_catalogue(self.layout.root).get("concerns")
        if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
            return names
        return list(DEFAULT_CONCERNS)

    def catalogue(self) -> dict:
        return dropbox.read_catalogue(self.layout.root)

    def drop_sheet(self, values: dict) -> str:
        """Seal a validated sheet (``sheets._validate``) into the drop box; returns its id (the
        id the sheet keeps once filed)."""
        drop_id = new_id()
        fields = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()
                  if k not in REPORTER_OMITS and v not in (None, "", [])}
        dropbox.drop_sheet(self.layout.root, self.keyfile, self.actor.login, self._key(), drop_id, fields)
        return drop_id

    def check(self) -> list[str]:
        """What a reporter can check without the data key: their own key (the unlock opened it)
        and that every drop file of theirs opens. The database is checked by the council."""
        problems = []
        mine = dropbox._b64(self._key().public_key().public_bytes_raw())
        for path in dropbox.sheet_files(self.layout.root):
            try:
                data = path.read_bytes()
                header = dropbox.read_header(data)
                # (a drop of the same login on another installation, passed on by sync, is not theirs here)
                if header.get("from") == self.actor.login and header.get("from_public") == mine:
                    dropbox.open_sealed(data, self.keyfile, self.actor.login, self._key())
            except (OSError, dropbox.DropError):
                problems.append("提出したシートのファイルの一部が壊れています。管理者かコーディネーターに連絡してください。")
                break
        return problems

    def own_sheets(self) -> list[dropbox.OwnSheet]:
        login, key = self.actor.login, self._key()
        return dropbox.own_sheets(self.layout.root, self.keyfile, login, key,
                                  self.keyfile.previous_privates(login, key))

    # --- the reporter's own passphrase --------------------------------------------------------
    def change_passphrase(self, old: str, new: str, kdf: dict | None, check_new: Callable[[str, str], None]) -> None:
        """A new key pair under ``new`` (``KeyFile.renew_reporter_pair``), written into keys.json
        as it is on disk now (a council session may have changed other entries since this
        unlock), then the reporter's drops not yet filed are sealed again with it.

        Nothing goes into the audit log: the session cannot open the database, and a note left
        for the next council session would be a file the reporter could forge or drop, proving
        nothing. What changed is only the reporter's own key pair, which reaches no data; a
        council member sees it in keys.json (a new public key). ``check_new(old, new)`` refuses
        a new passphrase (``accounts.change_passphrase`` gives it)."""
        login = self.actor.login
        self._key()
        keyfile = KeyFile.load(self.layout.key_file)
        try:
            old_private = keyfile.open_private(login, old)
        except AuthError:
            raise AuthError(WRONG_CURRENT) from None
        check_new(old, new)
        kdf = require_kdf(kdf)
        private = keyfile.renew_reporter_pair(login, new, old_private, kdf)
        try:
            keyfile.save(self.layout.key_file)
        except OSError as error:
            raise StoreError(KEYS_NOT_SAVED) from error
        self.keyfile, self._private = keyfile, private
        self.reseal_own_drops()

    def reseal_own_drops(self) -> int:
        """Drops of this reporter still sealed with an earlier key pair (a passphrase change, or
        one a crash interrupted), sealed again with the current one."""
        login, key = self.actor.login, self._key()
        previous = self.keyfile.previous_privates(login, key)
        if not previous:
            return 0
        return dropbox.reseal_own_drops(self.layout.root, self.keyfile, login, key, previous)

    def own_sheet(self, sheet_id: str) -> dropbox.OwnSheet:
        for sheet in self.own_sheets():
            if sheet.id == sheet_id:
                return sheet
        raise NotFound("指定された把握シートが見つかりません。一覧を更新してください。")


def is_reporter_session(store) -> bool:
    return bool(getattr(store, "is_reporter_session", False))
