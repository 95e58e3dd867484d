"""The standard `age` tool and the recovery identity open a bundle without the app (DESIGN §5)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import CarriedRoster, open_bundle, pack_bundle, unpack_inner, write_bundle_file
from tests.sync.helpers import COUNCIL, Council, changes, manifest

DOC = Path(__file__).parents[2] / "docs" / "sync-protocol.md"

pytestmark = pytest.mark.skipif(
    shutil.which("age") is None, reason="the age command-line tool is not installed (apt install age)"
)


@pytest.fixture
def recovered(tmp_path):
    council = Council()
    items = changes(n=5)
    roster = rosters.sign(rosters.new_roster(COUNCIL, Ed25519PrivateKey.generate(), council.recipients[-1]),
                          Ed25519PrivateKey.generate())
    carried = CarriedRoster(roster.body, base64.b64decode(roster.signature))
    data = pack_bundle(manifest(n=5), items, council.office, council.recipients, roster=carried)
    bundle = write_bundle_file(tmp_path, "shakyo-test-e1-000014.bundle", data)
    identity = tmp_path / "recovery.txt"
    identity.write_text(f"# recovery kit\n{council.recovery}\n", encoding="ascii")
    inner = tmp_path / "inner.bin"
    subprocess.run(["age", "-d", "-i", str(identity), "-o", str(inner), str(bundle)], check=True, timeout=60)
    expected = open_bundle(data, council.recovery, council.trusted, COUNCIL)
    return inner, expected, roster.data


def test_age_tool_decrypts_with_the_recovery_identity(recovered):
    inner_path, expected, roster = recovered
    inner = unpack_inner(inner_path.read_bytes())
    assert json.loads(inner.manifest_bytes) == expected.manifest
    assert inner.version == 2 and inner.carried_roster.body == rosters.canonical_json(roster)


def test_documented_recovery_script_unpacks_the_bundle(recovered, tmp_path):
    inner_path, expected, roster = recovered
    script = re.search(r"```python\n(# unpack-bundle\.py.*?)```", DOC.read_text("utf-8"), re.S).group(1)
    out = subprocess.run(
        [sys.executable, "-c", script, str(inner_path)], capture_output=True, check=True, timeout=60
    ).stdout
    unpacked = json.loads(out.decode("utf-8"))
    assert unpacked == {"roster": roster, "manifest": expected.manifest, "changes": expected.changes}
