"""`device add|join|revoke`: enrolling installations and revoking lost ones."""

from pathlib import Path

from shakyo_desk.cli_commands._base import Context, add_store_options


def register(subparsers) -> None:
    group = subparsers.add_parser("device", help="端末（この社協で使うパソコン）の登録と利用停止",
                                  description="同期する端末を登録したり、なくした端末を利用停止にしたりします。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("add", help="新しい端末の登録ファイルを作り、登録コードを表示します（管理者）",
                       description="事務局の端末で、新しい端末のための一度きりの登録ファイルを作ります。"
                                   "表示される登録コードは新しい端末で入力します（ファイルと一緒に保管しないでください）。")
    p.add_argument("--name", metavar="NAME", required=True, help="端末名（例：田中さんのノートPC）")
    p.add_argument("--out", metavar="FILE", required=True, help="登録ファイルの保存先")
    p.add_argument("--district", metavar="NAME", action="append", default=[],
                   help="この端末に入れる地区（何度でも指定できます。省略すると全地区）")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("join", help="登録ファイルから、この端末のデータフォルダを作ります",
                       description="事務局で作った登録ファイルと登録コードから、新しい端末のデータフォルダを作ります。"
                                   "新しいパスフレーズは環境変数 SHAKYO_PASSPHRASE か端末から入力します。"
                                   "登録ファイルは一度しか使えません。参加が済むと、使用済みの印に書き換えます"
                                   "（書き換えられなかったときは、その旨と削除のお願いを表示します。終了コードは0です）。")
    p.add_argument("--enrolment", metavar="FILE", required=True, help="登録ファイル")
    p.add_argument("--code", metavar="CODE", required=True, help="事務局の画面に表示された登録コード")
    add_store_options(p)
    p.set_defaults(handler=run_join)

    p = sub.add_parser("revoke", help="なくした端末を利用停止にします（管理者）",
                       description="端末を利用停止にします。停止後にその端末が作った同期ファイルは、どの端末でも取り込まれません。")
    p.add_argument("name", metavar="NAME", help="端末名")
    add_store_options(p)
    p.set_defaults(handler=run_revoke)


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.exchange.devices import add_device, enrolment_target

    out = enrolment_target(Path(ctx.args.out).expanduser().absolute(), ctx.args.name)  # a folder: the file inside it
    with ctx.open_store() as store:
        code = add_device(store, ctx.args.name, out, ctx.args.district, kdf=ctx.kdf)
    ctx.emit({"name": ctx.args.name, "file": str(out), "code": code}, [
        f"端末「{ctx.args.name}」の登録ファイルを作りました：{out}",
        "",
        "【登録コード】（この表示は一度きりです）",
        f"  {code}",
        "",
        "新しい端末で登録ファイルを読み込むときに、このコードを入力します。",
        "コードは登録ファイルと同じ USBメモリに書かないでください。登録ファイルは一度しか使えず、7日で使えなくなります。",
    ])
    return 0


def run_join(ctx: Context) -> int:
    from shakyo_desk.cli_commands.setup import _refuse_existing
    from shakyo_desk.store.exchange.devices import join
    from shakyo_desk.store.store import validate_login, validate_passphrase

    store_dir = ctx.store_dir().absolute()
    login = validate_login(ctx.login())
    _refuse_existing(store_dir)
    passphrase = validate_passphrase(ctx.passphrase(confirm=True, prompt="この端末で使う新しいパスフレーズ（8文字以上）："))
    joined = join(store_dir, Path(ctx.args.enrolment).expanduser(), ctx.args.code, login, passphrase, kdf=ctx.kdf)
    store, recovery_key = joined
    try:
        from shakyo_desk.store.exchange.devices import overview

        name = overview(store).device_name
    finally:
        store.close()
    ctx.emit({"store": str(store_dir), "device": name, "recovery_key": recovery_key,
              "enrolment_file_used": joined.file_used, "warning": joined.warning}, [
        f"この端末（{name}）のデータフォルダを作りました：{store_dir}",
        "",
        "【この端末の復旧キー】（この表示は一度きりです）",
        f"  {recovery_key}",
        "",
        "パスフレーズを忘れたときに必要です。印刷するか紙に書き写し、鍵のかかる場所に保管してください。",
    ] + (["登録ファイルは使用済みにしました（もう一度は使えません）。"] if joined.file_used else []))
    if joined.warning:
        # The join succeeded (exit 0); the file that still holds the keys must go now.
        ctx.note(joined.warning)
    return 0


def run_revoke(ctx: Context) -> int:
    from shakyo_desk.store.exchange.devices import revoke_device

    with ctx.open_store() as store:
        entry = revoke_device(store, ctx.args.name)
    ctx.emit({"device_id": entry["device_id"], "name": entry["name"], "revoked_at": entry["revoked_at"]}, [
        f"端末「{entry['name']}」を利用停止にしました。",
        "次に同期ファイルを書き出すと、ほかの端末にも利用停止が伝わります。",
    ])
    return 0
