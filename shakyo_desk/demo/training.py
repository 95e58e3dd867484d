"""The demo's training mode (issue 17): from the demo's lock screen a trainee opens the demo
village as its admin, a coordinator, a staff member or a reporter, without typing a passphrase,
to see what each role sees.

Demo only: ``open_demo_as`` opens nothing but a store whose council is marked as the demo
(``is_demo``), unlocked first as the demo's admin with the passphrase printed in the manual.
An account missing from the village (an older demo, or one removed while training) is made
again by that admin with the same passphrase; a reporter gets its key pair as every reporter
does (``accounts.add_account``). No Qt here: the lock screen is ``ui.app.DemoResumeDialog``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shakyo_desk.demo import DEMO_LOGIN, DEMO_PASSPHRASE, open_demo
from shakyo_desk.domain.errors import StoreError
from shakyo_desk.domain.roles import Role

NOT_DEMO = "このデータはデモ用ではないため、研修用の役割では開けません。ふだんどおりパスフレーズを入力してください。"


@dataclass(frozen=True)
class TrainingAccount:
    login: str
    role: Role
    title: str  # the role as the screens name it
    sees: str  # one sentence: what this role sees and does
    display_name: str  # when the account has to be made again
    section: str = "地域福祉係"


TRAINING_ACCOUNTS: tuple[TrainingAccount, ...] = (
    TrainingAccount(DEMO_LOGIN, Role.ADMIN, "管理者（事務局長）",
                    "すべての画面を使えます。アカウント、設定、保存期間の整理、操作の記録は管理者だけが扱います。",
                    "研修 管理者"),
    TrainingAccount("coordinator1", Role.COORDINATOR, "コーディネーター",
                    "村全体の世帯と記録を見て、届いた把握シートの受け付けと対応、会議と配布資料、関係機関の登録を行います。",
                    "研修 コーディネーター"),
    TrainingAccount("staff1", Role.STAFF, "職員",
                    "担当する地区の世帯と訪問記録、サロン、つなぎを扱い、気になる家庭は把握シートで知らせます。",
                    "研修 職員"),
    TrainingAccount("reporter1", Role.REPORTER, "報告者",
                    "把握シートを書いて事務局に届け、自分が出したシートとその後の状況だけを見ます。",
                    "研修 報告者", "介護保険事業所"),
)


def training_account(login: str) -> TrainingAccount:
    for account in TRAINING_ACCOUNTS:
        if account.login == login:
            return account
    raise ValueError(f"not a training account: {login}")


def _staff_districts(store) -> list[str]:
    """For a staff account made again: the settlements of the village's first area."""
    from shakyo_desk.store.services.districts import list_districts

    districts = list_districts(store)
    tops = [d for d in districts if d.parent_id is None]
    if not tops:
        return []
    leaves = [d.id for d in districts if d.parent_id == tops[0].id]
    return leaves or [tops[0].id]


def ensure_training_accounts(admin, *, kdf: dict | None = None) -> list[str]:
    """Make the training accounts the demo store lacks (as its admin); their logins."""
    from shakyo_desk.store.services import accounts

    have = {a.login for a in accounts.list_accounts(admin)}
    made = []
    for t in TRAINING_ACCOUNTS:
        if t.login in have:
            continue
        districts = _staff_districts(admin) if t.role == Role.STAFF else []
        accounts.add_account(admin, t.login, t.display_name, t.role, DEMO_PASSPHRASE, section=t.section,
                             district_ids=districts, kdf=kdf)
        made.append(t.login)
    return made


def open_demo_as(login: str, root: Path | None = None, *, kdf: dict | None = None):
    """The demo store (generated the first time) unlocked as the training account ``login``.
    Refuses, with ``NOT_DEMO``, a store that is not the demo's. ``kdf``: tests only."""
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.store import unlock

    account = training_account(login)
    admin = open_demo(root, kdf=kdf)
    try:
        if not get_settings(admin).is_demo:
            raise StoreError(NOT_DEMO)
        if account.login == DEMO_LOGIN:
            return admin
        ensure_training_accounts(admin, kdf=kdf)
        root = admin.layout.root
    except BaseException:
        admin.close()
        raise
    admin.close()
    return unlock(root, account.login, DEMO_PASSPHRASE)
