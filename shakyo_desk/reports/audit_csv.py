"""操作の記録の CSV: the audit log entries a filter selects, for an inspection (issue 6).

Lives in reports/ (not beside the query in store/services/audit_log.py) because it writes a file
for Excel with the shared CSV mechanics of ``reports/csv_file.py`` (BOM or cp932, formula cells
neutralised, atomic write); imports point down, so a store service cannot use them.

- Who may: admins only (the query refuses everyone else).
- cp932: a character Shift_JIS cannot hold (a rare kanji in a name) is written as 〓 rather than
  refusing the whole export; UTF-8 keeps every character.
- The export itself is audited (``audit.export``: file, encoding, rows, the filters) just before
  the file is renamed into place; the entry is not in the file it describes.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.csv_file import check_target, encode_rows, encoding_name, neutralise, write_file
from shakyo_desk.store.services import audit_log
from shakyo_desk.store.services.audit_log import AuditEntry, AuditFilters
from shakyo_desk.store.services.exports import log_export
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

HEADERS = ("番号", "日時", "日時（ISO）", "ログイン名", "氏名", "端末", "種類", "操作", "操作の記録名", "対象",
           "対象ID", "内容")


@dataclass(frozen=True)
class AuditCsv:
    path: Path
    encoding: str  # utf-8 | cp932
    rows: int
    size: int


def entry_row(e: AuditEntry) -> list:
    local = e.local_time
    return [e.id, f"{format_wareki(local.date())} {local:%H:%M:%S}", local.isoformat(timespec="seconds"), e.login,
            e.staff_name, e.device, e.group_label, e.label, e.action, e.target, e.entity_id, e.summary]


def csv_rows(entries: list[AuditEntry], filters: AuditFilters, made_at: datetime, made_by: str) -> list[list]:
    local = made_at.astimezone()
    rows: list[list] = [["操作の記録（社協デスク）"],
                        ["作成日時", f"{format_wareki(local.date())} {local:%H:%M:%S}", local.isoformat(timespec="seconds")],
                        ["作成者", made_by]]
    rows += [[f"条件：{label}", value] for label, value in _conditions(filters)]
    rows += [["件数", len(entries)], []]
    rows.append(list(HEADERS))
    rows += [entry_row(e) for e in entries]
    return [[neutralise("" if v is None else v) for v in row] for row in rows]


def _conditions(f: AuditFilters) -> list[tuple[str, str]]:
    return [("アカウント", f.login or "すべて"),
            ("期間", f"{f.start.isoformat() if f.start else '最初から'} 〜 {f.end.isoformat() if f.end else '今日まで'}"),
            ("操作の種類", audit_log.GROUPS.get(f.action_group or "", "すべて")),
            ("世帯", f.household_id or "すべて")]


def export_csv(store: Store, path: str | Path, filters: AuditFilters | None = None, *,
               encoding: str = "utf-8") -> AuditCsv:
    """Write every entry the filters select (newest first) to ``path`` and record the export."""
    filters = filters or AuditFilters()
    path = check_target(Path(path))
    encoding = encoding_name(encoding)
    entries = list(audit_log.iter_entries(store, filters))
    made_by = f"{store.actor.display_name}（{store.actor.login}）"
    data = encode_rows(csv_rows(entries, filters, clock.now(), made_by), encoding, "replace")

    def record() -> None:
        log_export(store, "audit", {
            "file": path.name, "encoding": encoding, "format": "csv", "rows": len(entries),
            "filters": {"login": filters.login, "start": filters.start.isoformat() if filters.start else None,
                        "end": filters.end.isoformat() if filters.end else None, "group": filters.action_group,
                        "household_id": filters.household_id},
        })

    write_file(path, data, record, what="CSV", prefix=".audit-")
    return AuditCsv(path, encoding, len(entries), len(data))
