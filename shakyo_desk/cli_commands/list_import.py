"""`import FILE --kind households|salon-regulars|agencies`: bring in an existing Excel or CSV
list. ``--dry-run`` lists every problem by row and changes nothing; without it nothing is
imported while problems remain, unless ``--skip-invalid`` (then the valid rows only, and the
rows left out are listed). ``--add-districts`` registers the districts the list names that the
register lacks, in the import's transaction (the dry run lists them)."""

from __future__ import annotations

from pathlib import Path

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput, NotFound

KIND_CHOICES = ("households", "salon-regulars", "agencies")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import", help="今ある名簿（Excel・CSV）の取り込み",
        description="Excel（.xlsx）やCSVの名簿を取り込みます。まず --dry-run で行ごとの問題を確かめてください。"
                    "問題が残っている間は何も取り込みません（--skip-invalid を付けると、問題のない行だけを取り込みます）。"
                    "見出し（氏名・フリガナ・住所・電話・生年月日・地区 など）から列の意味を推測します。"
                    "推測が違うときは --map で指定してください。",
    )
    p.add_argument("file", metavar="FILE", help="取り込むファイル（.xlsx または .csv）")
    p.add_argument("--kind", choices=KIND_CHOICES, required=True,
                   help="名簿の種類：households（世帯と世帯員）、salon-regulars（サロンの常連）、agencies（関係機関）")
    p.add_argument("--dry-run", action="store_true", help="確かめるだけで、何も取り込みません（行ごとの問題を表示）")
    p.add_argument("--skip-invalid", action="store_true", help="問題のある行を除いて、問題のない行だけを取り込みます")
    p.add_argument("--sheet", metavar="NAME", default=None, help="Excelのシート名（省略時は最初のシート）")
    p.add_argument("--map", metavar="列名=項目", action="append", default=[],
                   help="列の意味を指定します（例：--map 電話番号=phone、--map D=notes、--map 番号=-）。何度でも指定できます")
    p.add_argument("--district", metavar="NAME", default=None,
                   help="（households）地区の列がない行を登録する地区")
    p.add_argument("--salon", metavar="NAME", default=None,
                   help="（salon-regulars）サロン名の列がない行を常連として登録するサロン")
    p.add_argument("--flag", metavar="FLAG", action="append", default=[],
                   help="（households）取り込むすべての世帯に付ける特徴（例：一人暮らし高齢者）。何度でも指定できます")
    p.add_argument("--add-districts", action="store_true",
                   help="（households）名簿にあって、まだ登録されていない地区を登録してから取り込みます"
                        "（--dry-run では登録する地区を表示します）。特徴ごとの○の列（一人暮らし・要介護 など）は"
                        "見出しから読み取ります")
    add_store_options(p)
    p.set_defaults(handler=run_import)


def run_import(ctx: Context) -> int:
    from shakyo_desk.store.imports import (
        ImportHasProblems, ImportOptions, apply_import, apply_map_options, guess_mapping, load_table, preview_import,
    )

    args = ctx.args
    path = Path(args.file).expanduser()
    if args.district and args.kind != "households":
        raise InvalidInput("--district は --kind households のときだけ使えます。")
    if args.salon and args.kind != "salon-regulars":
        raise InvalidInput("--salon は --kind salon-regulars のときだけ使えます。")
    if args.flag and args.kind != "households":
        raise InvalidInput("--flag は --kind households のときだけ使えます。")
    if args.add_districts and args.kind != "households":
        raise InvalidInput("--add-districts は --kind households のときだけ使えます。")
    with ctx.open_store() as store:
        table = load_table(store, path, sheet=args.sheet)
        mapping = apply_map_options(table.columns, args.kind, guess_mapping(table.columns, args.kind), args.map)
        options = ImportOptions(default_district_id=_district_id(store, args.district),
                                default_salon_id=_salon_id(store, args.salon), household_flags=tuple(args.flag),
                                add_districts=args.add_districts)
        if args.dry_run:
            preview = preview_import(store, table, args.kind, mapping, options)
            ctx.emit(document(preview), preview_text(preview, table) + [
                "確かめただけで、何も取り込んでいません。" + _next_step(preview, args.skip_invalid)])
            return 0
        try:
            result = apply_import(store, table, args.kind, mapping, options, skip_invalid=args.skip_invalid)
        except ImportHasProblems as refused:
            preview = refused.preview
            ctx.emit(document(preview), preview_text(preview, table))
            if preview.file_problems:
                raise InvalidInput(preview.file_problems[0].message + "何も取り込んでいません。") from None
            if preview.problem_rows and not args.skip_invalid:
                raise InvalidInput(
                    f"問題のある行が{preview.problem_rows}行あるため、何も取り込みませんでした。"
                    "ファイルを直してもう一度実行するか、--skip-invalid で問題のない行だけを取り込んでください。") from None
            raise
    ctx.emit(result_document(result, table), result_text(result, table))
    return 0


def _district_id(store, name: str | None) -> str | None:
    if not name:
        return None
    from shakyo_desk.store.services.districts import find_district

    return find_district(store, name).id


def _salon_id(store, name: str | None) -> str | None:
    if not name:
        return None
    from shakyo_desk.domain.text import fold
    from shakyo_desk.store.services.salons import list_salons

    found = [s for s in list_salons(store, include_inactive=True) if s.id == name or fold(s.name) == fold(name)]
    if len(found) != 1:
        raise NotFound(f"サロン「{name}」は登録されていません。サロン名を確かめてください。" if not found else
                       f"「{name}」という名前のサロンが{len(found)}つあります。サロンのIDで指定してください。")
    return found[0].id


# ---- output ---------------------------------------------------------------------------------

def document(preview) -> dict:
    return {
        "file": preview.file_name, "sheet": preview.sheet, "kind": preview.kind, "imported": False,
        "columns": [{"column": letter, "header": label, "field": key} for letter, label, key in preview.mapping],
        "rows": {"total": len(preview.rows), "ready": preview.ready_rows, "problem": preview.problem_rows,
                 "blank": preview.blank_rows},
        "households": preview.households, "persons": preview.persons, "items": preview.items,
        "new_districts": [d.path for d in preview.new_districts], "add_districts": preview.add_districts,
        "problems": [{"row": p.row, "column": p.column, "message": p.message, "blocking": p.blocking}
                     for p in preview.problems],
    }


def _kind_label(kind: str) -> str:
    from shakyo_desk.store.imports import kind_label

    return kind_label(kind)


def _source(table) -> str:
    where = f"（シート「{table.sheet}」）" if table.sheet else (
        f"（文字コード {'UTF-8' if table.encoding == 'utf-8' else 'Shift_JIS'}）" if table.encoding else "")
    return f"ファイル：{table.file_name}{where}"


def preview_text(preview, table) -> list[str]:
    from shakyo_desk.store.imports import field_label

    header = "〜".join(f"{n}" for n in table.header_rows) + "行目"
    lines = [f"{_source(table)}　種類：{_kind_label(preview.kind)}", f"見出し：{header}"]
    used = [f"{letter}「{label}」→{field_label(preview.kind, key)}" for letter, label, key in preview.mapping if key]
    unused = [f"{letter}「{label}」" for letter, label, key in preview.mapping if not key]
    lines.append("列の対応：" + ("、".join(used) or "なし"))
    if unused:
        lines.append("取り込まない列：" + "、".join(unused))
    counts = (f"行：{len(preview.rows)}行（取り込める {preview.ready_rows}行／問題あり {preview.problem_rows}行／"
              f"空の行 {preview.blank_rows}行）")
    if preview.kind == "households":
        counts += f"　登録：{preview.households}世帯（世帯員 {preview.persons}人）"
    else:
        counts += f"　登録：{_kind_label(preview.kind)} {preview.items}件"
    lines.append(counts)
    if preview.new_districts:
        named = "、".join(f"{d.path}（{d.rows}行）" for d in preview.new_districts)
        if preview.add_districts:
            lines.append(f"登録する地区（{len(preview.new_districts)}）：{named}"
                         "（取り込む世帯が使う地区だけを登録します）")
        else:
            lines.append(f"登録されていない地区（{len(preview.new_districts)}）：{named}")
            lines.append("  --add-districts を付けると、これらの地区を登録してから取り込みます。")
    problems = preview.problems
    if problems:
        lines.append("問題と注意：")
        lines.extend(f"  {'×' if p.blocking else '・'} {p.text()}" for p in problems)
    else:
        lines.append("問題は見つかりませんでした。")
    return lines


def _next_step(preview, skip_invalid: bool) -> str:
    if preview.file_problems:
        return "ファイル全体の問題を直してください。"
    if not preview.ready_rows:
        return "取り込める行がありません。"
    if preview.problem_rows and skip_invalid:
        return f"--dry-run を外すと、問題のない {preview.ready_rows}行だけを取り込みます。"
    if preview.problem_rows:
        return "問題を直すか、--skip-invalid を付けて問題のない行だけを取り込んでください。"
    return "取り込むには --dry-run を外して実行してください。"


def result_document(result, table) -> dict:
    return {
        "file": result.file_name, "sheet": table.sheet, "kind": result.kind, "imported": True,
        "households": result.households, "persons": result.persons, "agencies": result.agencies,
        "regulars": result.regulars, "imported_rows": list(result.imported_rows),
        "skipped_rows": [{"row": r.number, "problems": [p.message for p in r.problems if p.blocking]}
                         for r in result.skipped],
        "blank_rows": result.blank_rows, "districts_added": list(result.districts),
    }


def result_text(result, table) -> list[str]:
    if result.kind == "households":
        what = f"{result.households}世帯（世帯員 {result.persons}人）"
    elif result.kind == "salon-regulars":
        what = f"サロンの常連 {result.regulars}人"
    else:
        what = f"関係機関 {result.agencies}件"
    lines = [f"{_source(table)}から {what}を取り込みました（{len(result.imported_rows)}行）。"]
    if result.districts:
        lines.append(f"地区を{len(result.districts)}件登録しました：{'、'.join(result.districts)}")
    if result.skipped:
        lines.append(f"問題があったため取り込まなかった行：{len(result.skipped)}行")
        for row in result.skipped:
            reasons = "／".join(p.message for p in row.problems if p.blocking)
            lines.append(f"  {row.number}行目 {row.name}：{reasons}")
    if result.blank_rows:
        lines.append(f"空の行 {result.blank_rows}行は飛ばしました。")
    return lines
