"""`check`: is the store sound? Exit 0 when it is, 7 with the problems on stderr."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import IntegrityProblem

# Japanese names for the counts the check reports; unknown keys are shown as they are.
COUNT_LABELS = {
    "audit_entries": "監査ログ",
    "changes": "変更履歴",
    "council": "社協",
    "staff": "アカウント",
    "district": "地区",
    "household": "世帯",
    "person": "世帯員",
    "concern_category": "困りごとの分類",
    "agency": "関係機関",
    "contact": "訪問記録",
    "concern_sheet": "把握シート",
    "sheet_status_change": "把握シートの状況の変化",
    "referral": "つなぎ",
    "consent": "同意",
    "conference": "会議",
    "place": "場所",
    "salon": "サロン",
    "salon_session": "サロンの開催",
}


# What staff are shown: the households of their districts only.
DISTRICT_COUNT_LABELS = {"household": "担当地区の世帯", "person": "担当地区の世帯員"}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="データフォルダの検査（整合性・参照・監査ログ・変更履歴）",
        description=(
            "データベースの整合性、参照先、監査ログの連鎖、変更履歴を検査します。異常がなければ終了コード0です。"
            "検査はどのアカウントでもデータ全体に行いますが、表示する内容はアカウントの役割で変わります。"
            "管理者とコーディネーターには異常の内容と社協全体の件数を、職員には担当地区の世帯と世帯員の件数だけを、"
            "報告者には異常があるかどうかだけを表示します。職員と報告者には異常の詳しい内容は表示しません"
            "（管理者が検査すると表示されます）。"
        ),
    )
    add_store_options(p)
    p.set_defaults(handler=run_check)


def run_check(ctx: Context) -> int:
    from shakyo_desk.store.check import SCOPE_COUNCIL, SCOPE_DISTRICTS, check_store, view_for

    from shakyo_desk.store.check import CheckView, SCOPE_NONE
    from shakyo_desk.store.reporter import is_reporter_session

    with ctx.open_store() as store:
        if is_reporter_session(store):  # no data key (issue 16): their key and their drop files only
            problems = store.check()
            view = CheckView(not problems, problems, {}, SCOPE_NONE)
        else:
            view = view_for(store, check_store(store))
    labels = DISTRICT_COUNT_LABELS if view.scope == SCOPE_DISTRICTS else COUNT_LABELS
    ctx.emit(
        {"sound": view.sound, "problems": list(view.problems), "counts": dict(view.counts), "scope": view.scope},
        None if not view.sound else [
            "検査の結果、異常は見つかりませんでした。",
            *(f"  {labels.get(key, key)}：{value}件" for key, value in view.counts.items()),
        ],
    )
    if view.sound:
        return 0
    if view.scope != SCOPE_COUNCIL:  # one sentence: the problems name records and devices
        ctx.stderr.write("".join(f"{problem}\n" for problem in view.problems))
        return IntegrityProblem.exit_code
    ctx.stderr.write(
        f"検査で{len(view.problems)}件の異常が見つかりました。管理者に連絡し、バックアップからの復元を検討してください。\n"
    )
    for problem in view.problems:
        ctx.stderr.write(f"・{' '.join(problem.split())}\n")
    return IntegrityProblem.exit_code
