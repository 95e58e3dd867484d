"""`tie add|list|end`: 支え合いの関係 (issue 19)."""

from dataclasses import asdict

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import SUPPORTER_KINDS, TIE_KINDS


def register(subparsers) -> None:
    group = subparsers.add_parser("tie", help="支え合いの関係", description="世帯を見守り・手助けする支え合いの関係を扱います。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("add", help="支え合いの関係を記録し、そのIDを表示します",
                       description="世帯を支える人と、支えの種類を記録します。")
    p.add_argument("--household", metavar="ID", required=True, help="支えを受ける世帯のID")
    p.add_argument("--supporter", metavar="NAME/KIND", default=None,
                   help=f"支え手の名前と立場（立場：{'、'.join(SUPPORTER_KINDS)}）例：田中 一夫/住民")
    p.add_argument("--supporter-id", metavar="ID", default=None, help="登録された担い手のID（--supporter の代わりに）")
    p.add_argument("--kind", metavar="KIND", required=True, help=f"支えの種類（{'、'.join(TIE_KINDS)}）")
    p.add_argument("--person", metavar="PERSON_ID", default=None, help="支えを受ける世帯員のID（省略時は世帯全体）")
    p.add_argument("--frequency", metavar="TEXT", default="", help="頻度（例：毎朝）")
    p.add_argument("--since", metavar="YYYY-MM-DD", default=None, help="始まった日")
    p.add_argument("--note", metavar="TEXT", default="", help="メモ")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("list", help="支え合いの関係の一覧", description="見てよい世帯の、続いている支え合いの関係を表示します。")
    p.add_argument("--district", metavar="NAME", default=None, help="地区")
    p.add_argument("--household", metavar="ID", default=None, help="世帯のID")
    p.add_argument("--ended", action="store_true", help="終わった関係も含める")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("end", help="支え合いの関係が終わったことを記録します", description="関係がもう続いていないことを記録します。")
    p.add_argument("id", metavar="TIE_ID", help="支え合いの関係のID")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="終わった日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_end)


def _supporter(text: str | None) -> tuple[str, str]:
    if not text:
        return "", ""
    name, _, kind = text.rpartition("/")
    if not name:
        raise InvalidInput("--supporter は「名前/立場」の形で指定してください（例：田中 一夫/住民）。")
    return name, kind


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.ties import add_tie

    args = ctx.args
    name, kind = _supporter(args.supporter)
    with ctx.open_store() as store:
        tie_id = add_tie(store, args.household, args.kind, supporter_id=args.supporter_id, supporter_name=name,
                         supporter_kind=kind, person_id=args.person, frequency=args.frequency, since=args.since,
                         note=args.note)
    ctx.emit({"id": tie_id}, tie_id)
    return 0


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.ties import households_without_tie, list_ties

    args = ctx.args
    with ctx.open_store() as store:
        district = find_district(store, args.district).id if args.district else None
        rows = list_ties(store, household_id=args.household, district_id=district, include_ended=args.ended)
        untied = households_without_tie(store, district) if not args.household else []
    lines = [f"{t.id}　世帯 {t.household_id}　{t.supporter}（{t.supporter_kind or '担い手'}）　{t.kind}"
             f"{'　' + t.frequency if t.frequency else ''}{'　終了 ' + t.ended_on.isoformat() if t.ended_on else ''}"
             for t in rows] or ["支え合いの関係はまだ記録されていません。"]
    if untied:
        lines.append(f"支え合いの関係がない一人暮らし高齢者・高齢者のみの世帯：{len(untied)}世帯")
    ctx.emit({"ties": [asdict(t) for t in rows], "households_without_tie": [asdict(u) for u in untied]}, lines)
    return 0


def run_end(ctx: Context) -> int:
    from shakyo_desk.store.services.ties import end_tie

    with ctx.open_store() as store:
        end_tie(store, ctx.args.id, ctx.args.date)
    ctx.emit({"id": ctx.args.id, "ended": True}, "支え合いの関係を終了として記録しました。")
    return 0
