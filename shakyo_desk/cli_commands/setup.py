"""`init` (a new store with its first admin) and `demo` (a store of fictional data)."""

from pathlib import Path

from shakyo_desk.cli_commands._base import Context, _isatty, add_store_options
from shakyo_desk.domain.errors import InvalidInput

PROFILES = ("village", "large-town")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "init", help="新しいデータフォルダ（暗号化）と最初の管理者アカウントの作成",
        description="新しいデータフォルダ（暗号化）と最初の管理者アカウントを作り、復旧キーを一度だけ表示します。",
    )
    p.add_argument("--council", metavar="NAME", required=True, help="社協の名前（例：〇〇村社会福祉協議会）")
    p.add_argument("--municipality", metavar="NAME", default="", help="市町村名")
    p.add_argument("--name", metavar="DISPLAY", default="", help="管理者の表示名（省略時はログイン名）")
    add_sheet_option(p)
    add_store_options(p)
    p.set_defaults(handler=run_init)

    p = subparsers.add_parser(
        "demo", help="架空のデータを入れたデモ用データフォルダの作成",
        description="研修や試用のために、明らかに架空のデータを入れたデータフォルダを作ります。",
    )
    p.add_argument("--profile", default="village", metavar="|".join(PROFILES),
                   help="規模（village：小さな村／large-town：大きめの町。既定は village）")
    p.add_argument("--seed", type=int, default=None, metavar="N", help="乱数の種（同じ値なら同じデータになります）")
    add_store_options(p)
    p.set_defaults(handler=run_demo)


def add_sheet_option(p) -> None:
    p.add_argument("--sheet", metavar="FILE.pdf", default=None,
                   help="復旧シート（復旧キーと同期ファイルの復旧用の鍵を1枚にまとめたPDF）をこのファイルに保存します。"
                        "印刷したらファイルは削除してください")


def sheet_path(ctx: Context) -> Path | None:
    """Where --sheet asks the 復旧シート to go, checked before anything is made."""
    if not ctx.args.sheet:
        return None
    path = Path(ctx.args.sheet).expanduser().absolute()
    if path.suffix.lower() != ".pdf":
        path = path.with_name(path.name + ".pdf")
    if path.is_dir() or not path.parent.is_dir():
        raise InvalidInput(f"--sheet「{ctx.args.sheet}」にはPDFファイルを保存できません。"
                           "今あるフォルダの中のファイル名（例：復旧シート.pdf）を指定してください。")
    return path


def write_sheet(ctx: Context, path: Path | None, council: str, recovery_key: str, device_name: str = "") -> bool:
    """The 復旧シート as an owner-only PDF; a failure is said on stderr (the key is on screen)."""
    if path is None:
        return True
    from shakyo_desk.domain import clock
    from shakyo_desk.reports.recovery_sheet import RecoverySheet, write_recovery_sheet

    try:
        write_recovery_sheet(path, RecoverySheet(council, str(recovery_key), clock.today(),
                                                 getattr(recovery_key, "identity", "") or "", device_name))
    except OSError:
        ctx.note(f"復旧シートを「{path}」に保存できませんでした。表示された復旧キーを書き写すか、"
                 "保存先を変えて作り直してください。")
        return False
    if not ctx.json:
        ctx.note(f"復旧シートを保存しました：{path}\n"
                 "印刷して金庫など鍵のかかる場所に保管し、印刷したらこのファイルを削除してください。")
    return True


def _recovery_kit(ctx: Context, store_dir: Path, council: str, recovery_key: str, heading: str,
                  sheet: Path | None = None) -> None:
    ctx.emit(
        {"store": str(store_dir), "council": council, "recovery_key": recovery_key,
         "recovery_identity": recovery_key.identity, **({"recovery_sheet": str(sheet)} if sheet else {})},
        [
            heading,
            f"  データフォルダ：{store_dir}",
            f"  社協：{council}",
            "",
            "【復旧キー】（この表示は一度きりです）",
            f"  {recovery_key}",
            "",
            "この復旧キーを今すぐ印刷するか紙に正確に書き写し、鍵のかかる場所に保管してください。",
            "パスフレーズを忘れたときや、別のパソコンにバックアップを復元するときに必要です。",
            "復旧キーはパソコンの中には保存されません。なくすとデータを取り戻せなくなります。",
            "",
            "【同期ファイルの復旧用の鍵】（この表示は一度きりです）",
            f"  {recovery_key.identity}",
            "",
            "アプリが使えなくなっても、この鍵と age という一般的な道具で同期ファイルを開けます。",
            "復旧キーと一緒に、鍵のかかる場所に保管してください。",
        ],
    )


def run_init(ctx: Context) -> int:
    from shakyo_desk.store.store import create_store, validate_login, validate_passphrase

    store_dir = ctx.store_dir().absolute()
    login = validate_login(ctx.login())
    _refuse_existing(store_dir)
    sheet = sheet_path(ctx)
    passphrase = validate_passphrase(ctx.passphrase(confirm=True, prompt="新しいパスフレーズ（8文字以上）："))
    store, recovery_key = create_store(
        store_dir, ctx.args.council, login, passphrase,
        admin_name=ctx.args.name, municipality=ctx.args.municipality, kdf=ctx.kdf,
    )
    try:
        from shakyo_desk.store.services.council import get_settings

        council = get_settings(store).name
    finally:
        store.close()
    _recovery_kit(ctx, store_dir, council, recovery_key, "社協デスクのデータフォルダを作りました。", sheet)
    return 0 if write_sheet(ctx, sheet, council, recovery_key) else 1


def run_demo(ctx: Context) -> int:
    from shakyo_desk.store.paths import default_demo_dir
    from shakyo_desk.store.store import validate_login, validate_passphrase

    try:
        from shakyo_desk import demo
    except ImportError:
        raise InvalidInput("このインストールにはデモデータの作成機能が含まれていません。") from None
    profiles = list(getattr(demo, "PROFILES", PROFILES))
    if ctx.args.profile not in profiles:
        raise InvalidInput(f"規模「{ctx.args.profile}」はありません。{' / '.join(profiles)} のどれかを指定してください。")
    store_dir = ctx.store_dir(default=default_demo_dir).absolute()
    login = validate_login(ctx.login())
    _refuse_existing(store_dir)
    passphrase = validate_passphrase(ctx.passphrase(confirm=True, prompt="デモ用アカウントのパスフレーズ（8文字以上）："))
    progress = None if ctx.json else _progress_printer(ctx)
    store, recovery_key = demo.generate(store_dir, ctx.args.profile, ctx.args.seed, login=login,
                                        passphrase=passphrase, kdf=ctx.kdf, progress=progress)
    try:
        from shakyo_desk.store.services.council import get_settings
        from shakyo_desk.store.services.households import count_households

        council = get_settings(store).name
        households = count_households(store)
    finally:
        store.close()
    if progress is not None:
        progress.done()
    if ctx.json:
        ctx.emit({"store": str(store_dir), "council": council, "profile": ctx.args.profile, "seed": ctx.args.seed,
                  "households": households, "recovery_key": recovery_key,
                  "recovery_identity": recovery_key.identity})
        return 0
    _recovery_kit(ctx, store_dir, council, recovery_key,
                  f"デモ用のデータフォルダを作りました（架空の世帯 {households}件）。研修・試用のためだけに使ってください。")
    return 0


class _progress_printer:
    """Progress on stderr: a self-updating line on a terminal, one line otherwise."""

    def __init__(self, ctx: Context):
        self.stream = ctx.stderr
        self.live = _isatty(self.stream)
        self.shown = False

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.live:
            percent = int(100 * done / total) if total else 100
            self.stream.write(f"\r{label}… {percent:3d}%\033[K")
            self.stream.flush()
            self.shown = True
        elif not self.shown:
            self.stream.write("デモ用のデータを作っています。しばらくお待ちください……\n")
            self.shown = True

    def done(self) -> None:
        if self.live and self.shown:
            self.stream.write("\n")


def _refuse_existing(store_dir: Path) -> None:
    """Refuse before asking for a passphrase (create_store refuses again, to be sure)."""
    from shakyo_desk.domain.errors import StoreError
    from shakyo_desk.store.paths import StoreLayout

    layout = StoreLayout(store_dir)
    if layout.database.exists() or layout.key_file.exists():
        raise StoreError(f"フォルダ「{store_dir}」にはすでにデータがあります。別のフォルダを指定してください。")

