import json


def test_district_add_then_household_in_it(cli, initialised):
    code, out, err = cli("district", "add", "--name", "北地区", "--kana", "きたちく")
    assert code == 0, err
    area = out.strip()
    code, out, err = cli("district", "add", "--name", "奥沢", "--parent", "北地区", "--format", "json")
    assert code == 0, err
    hamlet = json.loads(out)["id"]
    code, out, _ = cli("district", "list", "--format", "json")
    listed = json.loads(out)
    assert [(d["name"], d["parent_id"]) for d in listed] == [("北地区", None), ("奥沢", area)]
    assert listed[1]["id"] == hamlet and listed[1]["path"] == "北地区 › 奥沢"
    code, out, err = cli("household", "add", "--district", "奥沢", "--name", "奥沢 花子")
    assert code == 0, err


def test_district_add_refuses_unknown_parent_and_duplicates(cli, initialised):
    code, _, err = cli("district", "add", "--name", "奥沢", "--parent", "ない地区")
    assert code == 3 and "ない地区" in err and "Traceback" not in err
    assert cli("district", "add", "--name", "北地区")[0] == 0
    code, _, err = cli("district", "add", "--name", "北地区")
    assert code == 2 and "すでに登録" in err
    code, out, _ = cli("district", "list", "--format", "json")
    assert [d["name"] for d in json.loads(out)] == ["北地区"]


def test_staff_cannot_add_districts(cli, initialised):
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services import accounts
    from shakyo_desk.store.store import unlock

    from .conftest import PASSPHRASE

    admin = unlock(initialised, "admin", PASSPHRASE)
    accounts.add_account(admin, "staff1", "職員 一", "staff", PASSPHRASE, kdf=FAST_KDF)
    admin.close()
    code, _, err = cli("district", "add", "--name", "北地区", user="staff1")
    assert code == 4 and "権限" in err
