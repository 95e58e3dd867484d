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
    "sheet": "把握シート",
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="データフォルダの検査（整合性・参照・監査ログ・変更履歴）",
        description="データベースの整合性、参照先、監査ログの連鎖、変更履歴を検査します。異常がなければ終了コード0です。",
    )
    add_store_options(p)
    p.set_defaults(handler=run_check)


def run_check(ctx: Context) -> int:
    from shakyo_desk.store.check import check_store

    with ctx.open_store() as store:
        report = check_store(store)
    ctx.emit(
        {"sound": report.sound, "problems": list(report.problems), "counts": dict(report.counts)},
        None if not report.sound else [
            "検査の結果、異常は見つかりませんでした。",
            *(f"  {COUNT_LABELS.get(key, key)}：{value}件" for key, value in report.counts.items()),
        ],
    )
    if report.sound:
        return 0
    ctx.stderr.write(
        f"検査で{len(report.problems)}件の異常が見つかりました。管理者に連絡し、バックアップからの復元を検討してください。\n"
    )
    for problem in report.problems:
        ctx.stderr.write(f"・{' '.join(problem.split())}\n")
    return IntegrityProblem.exit_code
