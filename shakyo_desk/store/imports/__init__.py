"""Importing existing lists (名簿の取り込み): Excel or CSV files of households and members,
salon regulars or agencies. ``reader`` reads a sheet, ``fields`` guesses which column is
which, ``values`` reads cells, ``service`` previews and imports (one transaction).
See docs/architecture.md, "Importing existing lists"."""

from shakyo_desk.store.imports.fields import (
    AGENCIES, HOUSEHOLDS, KIND_LABELS, KINDS, SALON_REGULARS, FieldSpec, apply_map_options, field_label, fields_of,
    guess_mapping, is_flag_field, kind_label,
)
from shakyo_desk.store.imports.reader import Column, SheetTable, SourceRow, decode_csv, read_table
from shakyo_desk.store.imports.service import (
    BLANK, OK, PROBLEM, WARNING, ImportHasProblems, ImportOptions, ImportPreview, ImportResult, NewDistrict, PreviewRow,
    Problem, apply_import, load_table, preview_import, require_import_right,
)

__all__ = [
    "AGENCIES", "BLANK", "HOUSEHOLDS", "KINDS", "KIND_LABELS", "OK", "PROBLEM", "SALON_REGULARS", "WARNING",
    "Column", "FieldSpec", "ImportHasProblems", "ImportOptions", "ImportPreview", "ImportResult", "NewDistrict",
    "PreviewRow", "Problem", "SheetTable", "SourceRow", "apply_import", "apply_map_options", "decode_csv",
    "field_label", "fields_of", "guess_mapping", "is_flag_field", "kind_label", "load_table", "preview_import",
    "read_table", "require_import_right",
]
