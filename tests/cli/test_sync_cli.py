"""Two real stores through the command line: enrol, edit both, exchange, resolve, revoke."""

import json
import subprocess
from datetime import timedelta

import pytest

from shakyo_desk.domain import clock
from tests.cli.conftest import COUNCIL


@pytest.fixture
def pair(cli, tmp_path):
    """An office made by `init` and a laptop joined from its enrolment file."""
    office, laptop, usb = tmp_path / "office", tmp_path / "laptop", tmp_path / "usb"
    usb.mkdir()
    code, out, err = cli.raw("init", "--council", COUNCIL, "--store", str(office), "--user", "admin",
                             "--format", "json")
    assert code == 0, err
    kit = json.loads(out)
    code, out, err = cli.raw("district", "add", "--name", "上町", "--store", str(office), "--user", "admin")
    assert code == 0, err
    code, out, err = cli.raw("household", "add", "--district", "上町", "--name", "架空 花子",
                             "--phone", "0000-00-0000", "--store", str(office), "--user", "admin")
    assert code == 0, err
    household = out.strip()
    code, out, err = cli.raw("device", "add", "--name", "laptop1", "--out", str(usb / "laptop1.enrol"),
                             "--store", str(office), "--user", "admin", "--format", "json")
    assert code == 0, err
    enrol_code = json.loads(out)["code"]
    code, out, err = cli.raw("device", "join", "--enrolment", str(usb / "laptop1.enrol"), "--code", enrol_code,
                             "--store", str(laptop), "--user", "admin")
    assert code == 0, err
    return {"office": office, "laptop": laptop, "usb": usb, "household": household, "kit": kit}


def run(cli, store, *argv, fmt="json"):
    code, out, err = cli.raw(*argv, "--store", str(store), "--user", "admin", "--format", fmt)
    return code, (json.loads(out) if fmt == "json" and out.strip() else out), err


def exchange(cli, source, target, usb, **kw):
    code, exported, err = run(cli, source, "sync", "export", "--to", str(usb))
    assert code == 0, err
    code, report, err = run(cli, target, "sync", "import", exported["path"])
    assert code == 0, err
    return exported, report


def test_init_prints_a_recovery_identity_that_the_age_tool_accepts(pair, tmp_path, cli):
    identity = pair["kit"]["recovery_identity"]
    assert identity.startswith("AGE-SECRET-KEY-1")
    code, exported, err = run(cli, pair["office"], "sync", "export", "--to", str(pair["usb"]))
    assert code == 0, err
    (tmp_path / "recovery.txt").write_text(identity + "\n")
    done = subprocess.run(["age", "-d", "-i", str(tmp_path / "recovery.txt"), exported["path"]],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout[:8] == b"SHAKYOBN"


def test_edits_on_both_stores_meet_and_a_conflict_is_resolved_by_choosing(pair, cli):
    office, laptop, usb, household = pair["office"], pair["laptop"], pair["usb"], pair["household"]
    assert run(cli, office, "household", "set", household, "phone=0000-11-1111", fmt="text")[0] == 0
    assert run(cli, laptop, "household", "set", household, "phone=0000-22-2222", fmt="text")[0] == 0
    assert run(cli, laptop, "contact", "add", "--household", household, "--method", "訪問",
               "--date", (clock.today() - timedelta(days=17)).isoformat(), "--note", "ノートPCで記録した訪問",
               fmt="text")[0] == 0
    _, report = exchange(cli, laptop, office, usb)
    assert report["refused"] == 0 and report["applied"] >= 2 and report["conflicts"] == 1

    code, listed, err = run(cli, office, "conflicts", "list")
    assert code == 0, err
    [conflict] = listed["conflicts"]
    assert conflict["field"] == "phone"
    values = {v["value"]: v["n"] for v in conflict["values"]}
    assert set(values) == {"0000-11-1111", "0000-22-2222"}

    code, shown, _ = run(cli, office, "household", "show", household)
    assert [c["id"] for c in shown["conflicts"]] == [conflict["id"]]
    assert "ノートPCで記録した訪問" in json.dumps(shown["contacts"], ensure_ascii=False)

    assert run(cli, office, "conflicts", "resolve", conflict["id"], "--choose", str(values["0000-22-2222"]))[0] == 0
    assert run(cli, office, "conflicts", "list")[1]["conflicts"] == []
    exchange(cli, office, laptop, usb)
    assert run(cli, laptop, "conflicts", "list")[1]["conflicts"] == []
    for store in (office, laptop):
        assert run(cli, store, "household", "show", household)[1]["phone"] == "0000-22-2222"
        assert run(cli, store, "check", fmt="text")[0] == 0


def test_replayed_partial_and_tampered_bundles_are_refused_and_change_nothing(pair, cli):
    office, laptop, usb = pair["office"], pair["laptop"], pair["usb"]
    run(cli, laptop, "household", "set", pair["household"], "notes=確認用", fmt="text")
    exported, _ = exchange(cli, laptop, office, usb)
    code, report, _ = run(cli, office, "sync", "import", exported["path"])
    assert code == 0 and report["results"][0]["status"] == "already"

    run(cli, laptop, "household", "set", pair["household"], "notes=改ざん確認", fmt="text")
    code, second, _ = run(cli, laptop, "sync", "export", "--to", str(usb))
    path = second["path"]
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0x01
    tampered = usb / "tampered.bundle"
    tampered.write_bytes(bytes(data))
    partial = usb / "half.bundle.partial"
    partial.write_bytes(bytes(data[:100]))
    code, report, err = run(cli, office, "sync", "import", str(tampered), str(partial))
    assert code == 8, err
    assert [r["status"] for r in report["results"]] == ["refused", "refused"]
    assert [r["reason"] for r in report["results"]] == ["decrypt", "partial"]
    assert run(cli, office, "household", "show", pair["household"])[1]["notes"] == "確認用"


def test_a_revoked_laptops_later_bundle_is_refused(pair, cli):
    office, laptop, usb = pair["office"], pair["laptop"], pair["usb"]
    assert run(cli, office, "device", "revoke", "laptop1", fmt="text")[0] == 0
    run(cli, laptop, "household", "set", pair["household"], "notes=停止後の変更", fmt="text")
    code, exported, _ = run(cli, laptop, "sync", "export", "--to", str(usb))
    code, report, err = run(cli, office, "sync", "import", exported["path"])
    assert code == 8
    assert report["results"][0]["reason"] == "revoked"
    assert "利用停止" in report["results"][0]["message"]
    assert run(cli, office, "household", "show", pair["household"])[1]["notes"] == ""
