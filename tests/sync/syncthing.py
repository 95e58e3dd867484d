"""Two real Syncthing instances that replicate one folder between two paths of this machine, for
the mailbox test (tests/sync/test_mailbox_syncthing.py).

Nothing may leave the machine (the test machines have no network, and a test must not try):
each instance listens only on 127.0.0.1, dials only the other's fixed 127.0.0.1 address under its
device id, and has global and local discovery, relays, NAT traversal (UPnP/NAT-PMP), STUN, usage
reporting, crash reporting, upgrades and the browser switched off; every URL it could post to
points at the loopback discard port. The GUI/REST API listens on 127.0.0.1 only, behind a random
key. `loopback_only` lists every inet socket the processes hold, for the test to check.
Instances are stopped by their process ids, with a bounded wait, whatever happened."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

FOLDER_ID = "shakyo-mailbox"
NOWHERE = "http://127.0.0.1:9/"  # the discard port: any URL Syncthing might use, pointed at loopback

# options/ element → value; everything that could reach beyond this machine is off.
OPTIONS = {
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",  # no IPv4 broadcast, no IPv6 multicast
    "relaysEnabled": "false",
    "natEnabled": "false",  # no UPnP / NAT-PMP
    "stunKeepaliveStartS": "0",  # no STUN
    "urAccepted": "-1",  # usage reporting refused
    "urSeen": "3",
    "urURL": NOWHERE,
    "crashReportingEnabled": "false",
    "crashReportingURL": NOWHERE,
    "autoUpgradeIntervalH": "0",
    "releasesURL": NOWHERE,
    "announceLANAddresses": "false",
    "startBrowser": "false",
    "restartOnWakeup": "false",
    "setLowPriority": "false",
    "reconnectionIntervalS": "1",
    "minHomeDiskFree": "0",
}


def loopback_ports(count: int) -> list[int]:
    """Distinct port numbers free on 127.0.0.1 now (held open together while chosen, so they
    differ); written into the configs, they stay fixed for the run — no "default" or dynamic
    address anywhere, and no fixed number that a parallel run could already hold."""
    held = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def _environment(home: Path) -> dict[str, str]:
    """A small, explicit environment: no proxies, no user config, no default folder, no upgrades."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
            "STNODEFAULTFOLDER": "1", "STNOUPGRADE": "1", "STNORESTART": "1"}


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM it if the test process dies (killed, so no finally
    runs); the monitor then stops its own child. Linux only; elsewhere nothing is done."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Instance:
    name: str
    home: Path  # config, keys, database, log
    folder: Path  # the replicated folder (the mailbox share as this machine sees it)
    listen_port: int
    gui_port: int
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    device_id: str = ""
    process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.home / "syncthing.log"

    def generate(self, binary: str) -> None:
        """Keys and a config skeleton (`syncthing generate`); the config is rewritten before start."""
        self.home.mkdir(parents=True, exist_ok=True)
        env = _environment(self.home)
        subprocess.run([binary, "generate", "--home", str(self.home), "--no-default-folder"], env=env,
                       check=True, capture_output=True, timeout=60)
        out = subprocess.run([binary, "serve", "--home", str(self.home), "--device-id"], env=env,
                             check=True, capture_output=True, text=True, timeout=60)
        self.device_id = out.stdout.strip()
        assert self.device_id.count("-") == 7, out

    def configure(self, peer: Instance) -> None:
        path = self.home / "config.xml"
        root = ET.parse(path).getroot()
        for old in root.findall("device") + root.findall("folder"):
            root.remove(old)
        folder = ET.Element("folder", id=FOLDER_ID, label="mailbox", path=str(self.folder), type="sendreceive",
                            rescanIntervalS="60", fsWatcherEnabled="true", fsWatcherDelayS="1",
                            ignorePerms="false", autoNormalize="true")
        ET.SubElement(folder, "filesystemType").text = "basic"
        for device in (self, peer):
            ET.SubElement(folder, "device", id=device.device_id, introducedBy="")
        ET.SubElement(folder, "minDiskFree", unit="%").text = "0"
        root.insert(0, folder)
        for position, device in enumerate((self, peer), start=1):
            element = ET.Element("device", id=device.device_id, name=device.name, compression="metadata",
                                 introducer="false", skipIntroductionRemovals="false", introducedBy="")
            ET.SubElement(element, "address").text = f"tcp://127.0.0.1:{device.listen_port}"
            ET.SubElement(element, "paused").text = "false"
            ET.SubElement(element, "autoAcceptFolders").text = "false"
            root.insert(position, element)
        gui = root.find("gui")
        gui.set("enabled", "true")
        gui.set("tls", "false")
        gui.find("address").text = f"127.0.0.1:{self.gui_port}"
        gui.find("apikey").text = self.api_key
        options = root.find("options")
        for tag in ("listenAddress", "globalAnnounceServer", "stunServer"):
            for old in options.findall(tag):
                options.remove(old)
        ET.SubElement(options, "listenAddress").text = f"tcp://127.0.0.1:{self.listen_port}"
        ET.SubElement(options, "globalAnnounceServer").text = NOWHERE  # unused (announcing is off)
        ET.SubElement(options, "stunServer").text = "127.0.0.1:9"  # unused (STUN is off)
        for tag, value in OPTIONS.items():
            element = options.find(tag)
            if element is None:
                element = ET.SubElement(options, tag)
            element.text = value
        defaults = root.find("defaults")
        if defaults is not None:
            root.remove(defaults)
        ET.ElementTree(root).write(path, encoding="utf-8")
        # The folder marker: without it Syncthing refuses to use an existing folder.
        (self.folder / ".stfolder").mkdir(parents=True, exist_ok=True)

    def start(self, binary: str) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [binary, "serve", "--home", str(self.home), "--no-browser", "--no-restart", "--no-upgrade",
                 "--skip-port-probing", "--gui-address", f"http://127.0.0.1:{self.gui_port}"],
                env=_environment(self.home), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_stop_with_parent)

    def pids(self) -> list[int]:
        """Our process and the serving process it starts (`syncthing serve` runs as a monitor
        and one child even with --no-restart), recognised by their command line naming our home."""
        if self.process is None:
            return []
        found = [self.process.pid] if self.process.poll() is None else []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                if ppid == self.process.pid and self._ours(int(stat.parent.name)):
                    found.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return found

    def _ours(self, pid: int) -> bool:
        try:
            return str(self.home).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM to our process (the monitor stops its child), a bounded wait, then SIGKILL to
        our process and to any child of it still running, each by its process id."""
        if self.process is None:
            return
        children = [pid for pid in self.pids() if pid != self.process.pid]
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        deadline = time.monotonic() + 15
        for pid in children:
            while self._ours(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if self._ours(pid):
                os.kill(pid, signal.SIGKILL)

    def leftovers(self) -> list[int]:
        """Processes of this machine whose command line names our home: none once stopped."""
        found = []
        for entry in Path("/proc").glob("[0-9]*"):
            if self._ours(int(entry.name)):
                found.append(int(entry.name))
        return found

    # ---- the REST API, on 127.0.0.1 only

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(f"http://127.0.0.1:{self.gui_port}{path}", method=method,
                                         headers={"X-API-Key": self.api_key})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        with opener.open(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def scan(self) -> None:
        """Ask for a rescan of the folder now (the watcher would see it within a second or two)."""
        try:
            self.api(f"/rest/db/scan?folder={FOLDER_ID}", method="POST")
        except OSError:
            pass

    def connected_to(self, peer: Instance) -> bool:
        try:
            connections = self.api("/rest/system/connections")["connections"]
        except (OSError, KeyError, ValueError):
            return False
        return bool(connections.get(peer.device_id, {}).get("connected"))

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Pair:
    """Two instances sharing one folder between two paths; `with Pair(...)` stops both."""

    def __init__(self, binary: str, root: Path, office_folder: Path, laptop_folder: Path):
        self.binary = binary
        ports = loopback_ports(4)
        self.office = Instance("office", root / "st-office", office_folder, ports[0], ports[1])
        self.laptop = Instance("laptop", root / "st-laptop", laptop_folder, ports[2], ports[3])

    @property
    def instances(self) -> tuple[Instance, Instance]:
        return self.office, self.laptop

    def __enter__(self) -> Self:
        try:
            for instance in self.instances:
                instance.generate(self.binary)
            self.office.configure(self.laptop)
            self.laptop.configure(self.office)
            for instance in self.instances:
                instance.start(self.binary)
            self.wait(lambda: self.office.connected_to(self.laptop) and self.laptop.connected_to(self.office),
                      60, "the two Syncthing instances did not connect over 127.0.0.1")
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        for instance in self.instances:
            instance.stop()

    def diagnostics(self) -> str:
        return "\n".join(f"--- {i.name} (pid {i.process.pid if i.process else '-'}, "
                         f"{'running' if i.alive() else 'stopped'}):\n{i.log_tail()}" for i in self.instances)

    def wait(self, condition, timeout: float, what: str) -> None:
        """Poll `condition` until true; fail with both logs after `timeout` seconds or if one died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if not all(i.alive() for i in self.instances):
                break
            time.sleep(0.25)
        raise AssertionError(f"{what}\n{self.diagnostics()}")

    def carried(self, source: Path, target: Path, timeout: float = 60) -> None:
        """Wait until the file at `source` is at `target` with the same bytes."""
        data = source.read_bytes()
        sender = self.office if source.is_relative_to(self.office.folder) else self.laptop
        sender.scan()

        def arrived() -> bool:
            try:
                return target.read_bytes() == data
            except OSError:
                return False

        self.wait(arrived, timeout, f"Syncthing did not carry {source.name} to {target.parent}")

    def sockets(self) -> dict[str, list[tuple[str, str, str]]]:
        """Every inet socket each instance's processes hold: (protocol, local address, remote address)."""
        return {i.name: [s for pid in i.pids() for s in inet_sockets(pid)] for i in self.instances if i.alive()}


def _address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # /proc prints IPv6 as four little-endian 32-bit words
        ip = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
    return f"{ip}:{int(port, 16)}"


def inet_sockets(pid: int) -> list[tuple[str, str, str]]:
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for protocol in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            lines = Path(f"/proc/{pid}/net/{protocol}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[9] in inodes:
                found.append((protocol, _address(parts[1]), _address(parts[2])))
    return found


def on_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0]
    return host in ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def unspecified(address: str) -> bool:
    return address.rsplit(":", 1)[0] in ("0.0.0.0", "::") and address.endswith(":0")


def off_loopback(pair: Pair) -> list[str]:
    """Sockets of either instance that are not loopback-only: UDP or raw at all, or a TCP socket
    whose local address is not loopback or whose peer is neither loopback nor none (listening)."""
    wrong = []
    for name, sockets in pair.sockets().items():
        for protocol, local, remote in sockets:
            if protocol.startswith(("udp", "raw")) or not on_loopback(local) or not (on_loopback(remote) or unspecified(remote)):
                wrong.append(f"{name}: {protocol} {local} → {remote}")
    return wrong


def syncthing_binary() -> str | None:
    return shutil.which("syncthing")
