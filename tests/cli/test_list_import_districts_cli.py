"""`import … --add-districts` (CLI.md's import row, issue 17) on a list written by LibreOffice
(tests/fixtures/lists/libreoffice-flags.xlsx) with a ○ column per flag and districts the store
lacks: the dry run lists the districts it would add and changes nothing; the import registers
them and sets the flags."""

import json
from pathlib import Path

from shakyo_desk.store.services import districts, households
from shakyo_desk.store.store import unlock

from .conftest import PASSPHRASE, assert_one_japanese_line

FIXTURE = str(Path(__file__).parents[1] / "fixtures" / "lists" / "libreoffice-flags.xlsx")


def district_paths(store_dir) -> set[str]:
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        return {d.path for d in districts.list_districts(store)}
    finally:
        store.close()


def test_dry_run_lists_the_districts_it_would_add(cli, district):
    code, out, err = cli("import", FIXTURE, "--kind", "households", "--dry-run")
    assert code == 0, err
    assert "登録されていない地区（5）：清水集落（2行）、奥沢（2行）、峠（1行）、北地区（1行）、北地区 › 沢口（1行）" in out
    assert "--add-districts を付けると" in out
    assert "I「一人暮らし」→一人暮らし高齢者（○の列）" in out and "K「要介護」→要介護（○の列）" in out

    code, out, err = cli("import", FIXTURE, "--kind", "households", "--dry-run", "--add-districts")
    assert code == 0, err
    assert "登録する地区（5）：清水集落（2行）" in out
    assert "8行目 一人暮らし：「済」は「一人暮らし高齢者」の列の印として読めません" in out
    assert "確かめただけで、何も取り込んでいません。" in out
    assert district_paths(cli.store_dir) == {"上町", "下町"}

    code, out, err = cli("import", FIXTURE, "--kind", "households", "--dry-run", "--add-districts", "--format", "json")
    doc = json.loads(out)
    assert doc["add_districts"] is True and doc["new_districts"][:2] == ["清水集落", "奥沢"]


def test_add_districts_imports_with_the_flags(cli, district):
    code, out, err = cli("import", FIXTURE, "--kind", "households", "--add-districts")
    assert code != 0 and "問題のある行が1行" in err  # 済: nothing imported, nothing registered
    assert district_paths(cli.store_dir) == {"上町", "下町"}

    code, out, err = cli("import", FIXTURE, "--kind", "households", "--add-districts", "--skip-invalid",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["households"] == 5 and doc["districts_added"] == ["清水集落", "奥沢", "北地区", "北地区 › 沢口"]
    assert district_paths(cli.store_dir) == {"上町", "下町", "清水集落", "奥沢", "北地区", "北地区 › 沢口"}
    store = unlock(cli.store_dir, "admin", PASSPHRASE)
    try:
        found = {h.head_name: h for h in households.list_households(store)}
    finally:
        store.close()
    assert set(found["山本 キク"].flags) == {"一人暮らし高齢者", "避難行動要支援者"}


def test_add_districts_is_for_households_only(cli, initialised):
    code, out, err = cli("import", FIXTURE, "--kind", "agencies", "--add-districts", "--dry-run")
    assert code != 0 and "--add-districts は --kind households のときだけ使えます。" in err
    assert_one_japanese_line(err)
