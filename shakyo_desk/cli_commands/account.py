"""`account add|list|disable|enable`: staff accounts (administrators only, except `list`,
which shows other accounts only to an administrator)."""

from shakyo_desk.cli_commands._base import ENV_NEW_PASSPHRASE, Context, add_store_options
from shakyo_desk.cli_commands.setup import add_sheet_option, sheet_path, write_sheet
from shakyo_desk.domain.errors import NotFound
from shakyo_desk.domain.roles import Role

ROLES = [role.value for role in Role]


def register(subparsers) -> None:
    group = subparsers.add_parser("account", help="職員のアカウントの追加・無効化・再有効化（管理者）",
                                  description="職員のアカウントを追加したり、無効にしたり、もう一度使えるようにしたりします。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    roles = "、".join(f"{role.value}＝{role.label}" for role in Role)
    p = sub.add_parser("add", help="アカウントを追加し、そのIDを表示します（管理者）",
                       description=f"アカウントを追加します。役割（--role）は {roles}。"
                                   f"新しいアカウントのパスフレーズは環境変数 {ENV_NEW_PASSPHRASE} から、"
                                   "なければ端末で2回尋ねます。本人に直接伝え、最初のロック解除のあと変えてもらってください。")
    p.add_argument("--login", metavar="NAME", required=True, help="新しいアカウントのログイン名（半角英数字）")
    p.add_argument("--role", choices=ROLES, required=True, help="役割（admin|coordinator|staff|reporter）")
    p.add_argument("--name", metavar="TEXT", default=None, help="氏名（省略時はログイン名）")
    p.add_argument("--section", metavar="TEXT", default="", help="所属（例：地域福祉係）")
    p.add_argument("--district", metavar="NAME", nargs="+", action="extend", default=[],
                   help="担当地区（いくつでも。staff はこの地区の世帯だけを見られます）")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("list", help="アカウントの一覧",
                       description="アカウントの一覧を表示します。管理者以外には自分のアカウントだけが表示されます。")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("disable", help="アカウントを無効にします（管理者）",
                       description="アカウントを無効にします。そのアカウントではロックを解除できなくなります。"
                                   "これまでの記録は残ります。あわせてデータの鍵を作り直すので、そのアカウントの以前の鍵"
                                   "（古い鍵ファイルやバックアップに残ったもの）では今のデータを開けなくなります。"
                                   "大きなデータでは1分ほどかかります。")
    p.add_argument("name", metavar="NAME", help="無効にするアカウントのログイン名")
    add_store_options(p)
    p.set_defaults(handler=run_disable)

    p = sub.add_parser("enable", help="無効にしたアカウントをもう一度使えるようにします（管理者）",
                       description="無効にしたアカウントを、新しいパスフレーズでもう一度使えるようにします。"
                                   f"新しいパスフレーズは環境変数 {ENV_NEW_PASSPHRASE} から、なければ端末で2回尋ねます。"
                                   "前のパスフレーズは使えません。")
    p.add_argument("name", metavar="NAME", help="有効にするアカウントのログイン名")
    add_store_options(p)
    p.set_defaults(handler=run_enable)

    p = sub.add_parser("recovery-key", help="この端末の復旧キーを作り直して表示します（管理者）",
                       description="この端末の新しい復旧キーを作り、一度だけ表示します。前の復旧キーは使えなくなります。"
                                   "鍵の作り直しで古い形式の復旧キーが使えなくなったときや、復旧キーの紙をなくしたときに使います。"
                                   "表示された復旧キーは印刷するか書き写して、安全な場所に保管してください。")
    add_sheet_option(p)
    add_store_options(p)
    p.set_defaults(handler=run_recovery_key)


def _find(store, name: str):
    from shakyo_desk.store.services.accounts import list_accounts

    for account in list_accounts(store):
        if name in (account.login, account.id):
            return account
    raise NotFound(f"アカウント「{name}」は登録されていません。ログイン名を「shakyo-desk account list」で確かめてください。")


def _document(account) -> dict:
    return {"id": account.id, "login": account.login, "name": account.display_name, "role": account.role.value,
            "section": account.section, "district_ids": list(account.district_ids), "active": account.active,
            "disabled_at": account.disabled_at}


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.accounts import add_account, require_account_admin
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.store import validate_login, validate_passphrase

    args = ctx.args
    login = validate_login(args.login)
    with ctx.open_store() as store:
        require_account_admin(store)  # before asking for a passphrase that would be refused anyway
        district_ids = [find_district(store, name).id for name in args.district]
        passphrase = validate_passphrase(ctx.new_passphrase(f"「{login}」のパスフレーズ（8文字以上）："))
        staff_id = add_account(store, login, args.name if args.name is not None else login, args.role, passphrase,
                               args.section, district_ids, kdf=ctx.kdf)
    ctx.emit({"id": staff_id}, staff_id)
    return 0


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.accounts import list_accounts

    with ctx.open_store() as store:
        accounts = list_accounts(store)
    ctx.emit([_document(a) for a in accounts],
             [f"{a.login}  {a.display_name}  {a.role.label}  {'有効' if a.active else '無効'}  {a.id}" for a in accounts])
    return 0


def run_disable(ctx: Context) -> int:
    from shakyo_desk.cli_commands._base import ProgressLines
    from shakyo_desk.store.services.accounts import disable_account, require_account_admin

    with ctx.open_store() as store:
        require_account_admin(store)
        account = _find(store, ctx.args.name)
        disabled = disable_account(store, account.id, progress=ProgressLines(ctx.stderr))
        account = _find(store, account.id)
    rotation = disabled.rotation
    ctx.emit({**_document(account), "key_rotated": rotation is not None,
              "needs_reset": list(rotation.needs_reset) if rotation else [],
              "recovery_key_renew": bool(rotation and rotation.recovery_renew), "notices": list(disabled.notices)},
             [f"アカウント「{account.login}」を無効にしました。これまでの記録は残ります。", *disabled.notices])
    return 0


def run_recovery_key(ctx: Context) -> int:
    from shakyo_desk.store.services.accounts import renew_recovery_key
    from shakyo_desk.store.services.council import get_settings

    sheet = sheet_path(ctx)
    with ctx.open_store() as store:
        key = renew_recovery_key(store)
        council = get_settings(store).name
    ctx.emit({"recovery_key": str(key), **({"recovery_sheet": str(sheet)} if sheet else {})}, [
        "この端末の新しい復旧キーです（前の復旧キーは使えなくなりました）。",
        "印刷するか書き写して、パソコンとは別の安全な場所に保管してください。この画面のあとは二度と表示されません。",
        "",
        f"  {key}",
    ])
    return 0 if write_sheet(ctx, sheet, council, key) else 1


def run_enable(ctx: Context) -> int:
    from shakyo_desk.store.services.accounts import enable_account, require_account_admin, require_disabled
    from shakyo_desk.store.store import validate_passphrase

    with ctx.open_store() as store:
        require_account_admin(store)
        account = _find(store, ctx.args.name)
        require_disabled(account)  # before asking for a passphrase
        passphrase = validate_passphrase(ctx.new_passphrase(f"「{account.login}」の新しいパスフレーズ（8文字以上）："))
        enable_account(store, account.id, passphrase, kdf=ctx.kdf)
        account = _find(store, account.id)
    ctx.emit(_document(account), f"アカウント「{account.login}」を有効にしました。新しいパスフレーズを本人に直接伝えてください。")
    return 0
