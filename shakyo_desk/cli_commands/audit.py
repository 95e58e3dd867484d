"""`audit list|verify|head|export`: the 操作の記録 from the command line (admin only)."""

from datetime import date

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import IntegrityProblem, InvalidInput
from shakyo_desk.domain.wareki import format_wareki_short


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"日付「{value}」が正しくありません。YYYY-MM-DD の形で指定してください。") from None


def _add_filters(p) -> None:
    from shakyo_desk.store.services.audit_log import GROUPS

    p.add_argument("--account", metavar="LOGIN", help="このログイン名の操作だけ")
    p.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="この日から")
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="この日まで")
    p.add_argument("--group", choices=list(GROUPS), help="操作の種類：" + "、".join(f"{k}={v}" for k, v in GROUPS.items()))
    p.add_argument("--household", metavar="ID", help="この世帯とその記録についての操作だけ")


def register(subparsers) -> None:
    group = subparsers.add_parser("audit", help="操作の記録（監査ログ）の閲覧・確認・書き出し（管理者）",
                                  description="誰が、いつ、何を見たか・変えたか・書き出したかの記録です。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("list", help="記録の一覧（新しい順）")
    _add_filters(p)
    p.add_argument("--limit", type=int, default=100, help="表示する件数（既定 100）")
    p.add_argument("--before", type=int, metavar="ID", help="この番号より前の記録から（続きを見るとき）")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("verify", help="記録のつながり（改ざんがないか）を確かめます",
                       description="記録を一件ずつ確かめ、同期ファイルやバックアップに残した最新の記録の控え、"
                                   "ほかの端末が受け取った控えとも照らし合わせます。")
    p.add_argument("--backup", action="append", default=[], metavar="FILE",
                   help="このバックアップファイルに入っている控えとも照らし合わせる（くり返し指定できます）")
    add_store_options(p)
    p.set_defaults(handler=run_verify)

    p = sub.add_parser("head", help="最新の記録の番号と指紋を表示します（控えとして紙に残せます）")
    add_store_options(p)
    p.set_defaults(handler=run_head)

    p = sub.add_parser("export", help="条件に合う記録をCSVに書き出します（書き出しも記録されます）")
    _add_filters(p)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="書き出すファイル")
    p.add_argument("--encoding", default="utf-8", help="utf-8（既定・BOM付き）か cp932（Shift_JIS）")
    add_store_options(p)
    p.set_defaults(handler=run_export)


def _filters(ctx: Context):
    from shakyo_desk.store.services.audit_log import AuditFilters

    a = ctx.args
    return AuditFilters(a.account, _date(a.start) if a.start else None, _date(a.end) if a.end else None, a.group,
                        a.household)


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services import audit_log

    f = _filters(ctx)
    with ctx.open_store() as store:
        page = audit_log.query(store, login=f.login, start=f.start, end=f.end, action_group=f.action_group,
                               household_id=f.household_id, limit=ctx.args.limit, before_id=ctx.args.before)
    lines = [f"{len(page.entries)}件" + ("（続きは --before " + str(page.next_before_id) + "）" if page.more else "")]
    for e in page.entries:
        local = e.local_time
        lines.append(f"{e.id:>7}  {format_wareki_short(local.date())} {local:%H:%M:%S}  {e.staff_name or e.login}  "
                     f"{e.label}  {e.target}  {e.summary}".rstrip())
    ctx.emit({"entries": [{"id": e.id, "at": e.local_time.isoformat(timespec="seconds"), "login": e.login,
                           "name": e.staff_name, "device": e.device, "action": e.action, "group": e.group,
                           "label": e.label, "entity": e.entity, "entity_id": e.entity_id, "target": e.target,
                           "summary": e.summary, "detail": e.detail} for e in page.entries],
              "more": page.more, "next_before": page.next_before_id}, lines)
    return 0


def verdict(report) -> str:
    """One paragraph for a broken chain: where it broke, what is missing or rewritten."""
    start = (f"記録の番号 {report.chain_broken_at} で、つながりが切れています。" if report.chain_broken_at is not None
             else "")
    return (start + "".join(report.sentences)
            + "書き換えや削除の可能性があります。管理者に連絡し、バックアップと照らし合わせてください。")


def run_verify(ctx: Context) -> int:
    from pathlib import Path

    from shakyo_desk.store.services import audit_log

    with ctx.open_store() as store:
        report = audit_log.verify(store, backups=[Path(p).expanduser() for p in ctx.args.backup])
    witnessed = f"最新の記録の控え{report.witnesses}件とも合っています。" if report.witnesses else \
        "まだ記録の控えがありません（同期ファイルの書き出しやバックアップの作成で控えが残ります）。"
    ctx.emit({"sound": report.sound, "entries": report.entries, "broken_at": report.broken_at,
              "problems": report.sentences, "notices": list(report.notices), "witnesses": report.witnesses},
             None if not report.sound else
             [f"記録はすべて正しくつながっています（{report.entries:,}件）。", witnessed, *report.notices])
    if report.sound:
        return 0
    ctx.stderr.write(verdict(report) + "\n")
    return IntegrityProblem.exit_code


def run_head(ctx: Context) -> int:
    from shakyo_desk.store.services import audit_log

    with ctx.open_store() as store:
        head = audit_log.head(store)
    if head.entry_id is None:
        lines = ["まだ記録がありません。"]
    else:
        local = head.local_time
        lines = [f"最新の記録：第{head.entry_id}件（{format_wareki_short(local.date())} {local:%H:%M:%S}）",
                 f"  指紋：{head.hash}",
                 f"  端末：{head.device_name}（{head.device_id}、同期の区切り {head.epoch}）",
                 f"  外に残した控え（同期ファイル・バックアップ・ほかの端末が受け取ったもの）：{head.witnessed}件",
                 "この番号と指紋を紙などに控えておくと、後で記録が消されたり書き換えられたりしていないか確かめられます。"]
    ctx.emit({"device_id": head.device_id, "device": head.device_name, "epoch": head.epoch, "id": head.entry_id,
              "hash": head.hash, "at": head.local_time.isoformat(timespec="seconds") if head.at else None,
              "witnessed": head.witnessed}, lines)
    return 0


def run_export(ctx: Context) -> int:
    from shakyo_desk.reports.audit_csv import export_csv

    f = _filters(ctx)
    with ctx.open_store() as store:
        result = export_csv(store, ctx.args.out, f, encoding=ctx.args.encoding)
    ctx.emit({"path": str(result.path), "rows": result.rows, "encoding": result.encoding, "bytes": result.size},
             f"{result.rows:,}件を書き出しました：{result.path}")
    return 0
