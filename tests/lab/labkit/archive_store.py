# SPDX-License-Identifier: Apache-2.0
"""Archive stores of a lab: storage that the nodes' rclone uploads to, started on loopback.

Three kinds, each in LAB/archive/<name>/ with an rclone.conf defining one remote, `labstore`,
and an info.json telling tests where the remote is and where its objects land on disk:
  local  a directory, no server
  s3     s3rver 3.7.1 (npm), bucket `ringsnap`; key K is the file <store>/ringsnap/K._S3rver_object
  sftp   an OpenSSH sshd with internal-sftp, laid out and started like a node's (sshd.py), with
         its own host key, client key pair and known_hosts (rclone checks the host key only
         when known_hosts_file is set)

Servers run in sessions of their own with stdio on files, never on ours (see sshd.py). `lab
down` finds them like any lab process: their command lines name the lab directory (s3rver's
-d, sshd's -f), their sessions run with HOME inside it (sshd's SetEnv); it also stops the pid
info.json records (recorded_servers), in case a server ever rewrites its process title.
"""

import fcntl
import json
import os
import pwd
import re
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from . import LabError, keys, procs, sshd, state
from .layout import NodePaths

KINDS = ("local", "s3", "sftp")
REMOTE = "labstore"
S3_BUCKET = "ringsnap"
S3_OBJECT_SUFFIX = "._S3rver_object"
S3RVER_VERSION = "3.7.1"
S3RVER_ADDRESS = "127.0.0.1"
S3RVER_CREDENTIALS = "S3RVER"  # fixed in s3rver (lib/models/account.js)
READY_TIMEOUT = 10.0
REPO_ROOT = Path(__file__).resolve().parents[3]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_S3RVER_LISTENING = re.compile(rb"S3rver listening on [^\s:]+:(\d+)")


class StorePaths(NodePaths):
    """LAB/archive/<name>/. An sftp store's sshd uses a node's layout (sshd/, home/), so that
    sshd.py configures, starts and waits for it unchanged."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.info = root / "info.json"
        self.rclone_config = root / "rclone.conf"
        self.store = root / "store"  # where the objects land
        self.client_key = root / "client_key"  # sftp: the key rclone logs in with
        self.known_hosts = root / "known_hosts"  # sftp: the store's host key, for rclone
        self.server_log = root / "server.log"  # s3rver's stdout and stderr


def archive_dir(lab_dir: Path) -> Path:
    return lab_dir / "archive"


def store_paths(lab_dir: Path, name: str) -> StorePaths:
    if not _NAME.fullmatch(name):
        raise LabError(f"bad archive store name {name!r} (letters, digits, '_', '.', '-')")
    return StorePaths(archive_dir(lab_dir) / name)


def npm_prefix() -> Path:
    """Where scripts/common.sh (install_npm_tools) installs npm tools: keep the two in step."""
    return Path(os.environ.get("RINGSNAP_NPM_PREFIX") or REPO_ROOT / "build" / "npm")


# --- info.json --------------------------------------------------------------------------------

def store_names(lab_dir: Path) -> list[str]:
    root = archive_dir(lab_dir)
    if not root.is_dir():
        return []
    return sorted(entry.name for entry in root.iterdir() if (entry / "info.json").is_file())


def load_info(paths: StorePaths) -> dict | None:
    try:
        return json.loads(paths.info.read_text())
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise LabError(f"{paths.info}: {error}") from None


def _save_info(paths: StorePaths, info: dict) -> None:
    temp = paths.info.with_name(f".info.json.{os.getpid()}")
    temp.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(temp, paths.info)


def server_running(info: dict) -> bool:
    return procs.is_running(info.get("pid"), info.get("pid_start_time"))


def recorded_servers(lab_dir: Path) -> set[int]:
    """Pids of the servers the lab's info.json files name that still run (same start time)."""
    pids = set()
    for name in store_names(lab_dir):
        try:
            info = load_info(StorePaths(archive_dir(lab_dir) / name)) or {}
        except LabError:
            continue  # a damaged info.json must not keep `lab down` from stopping the rest
        if server_running(info):
            pids.add(info["pid"])
    return pids


@contextmanager
def _locked(lab_dir: Path):
    """One `lab archive` change at a time per lab: two sftp stores must not take one address."""
    archive_dir(lab_dir).mkdir(exist_ok=True)
    fd = os.open(archive_dir(lab_dir) / "archive.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_private(path: Path, text: str) -> None:
    """Write `path` readable by its owner only (rclone.conf may hold secrets in real use)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)  # an existing file keeps its mode through O_CREAT
        f.write(text)


def _rclone_config(settings: dict[str, str | int]) -> str:
    lines = ["# Written by `lab archive up`; one remote, the same name for every kind.",
             f"[{REMOTE}]"]
    return "\n".join(lines + [f"{key} = {value}" for key, value in settings.items()]) + "\n"


def _base_info(paths: StorePaths, kind: str, name: str, remote_path: str, root: Path) -> dict:
    return {"name": name, "kind": kind, "remote": f"{REMOTE}:{remote_path}",
            "rclone_config": str(paths.rclone_config), "root": str(root),
            "object_suffix": "", "pid": None, "pid_start_time": None, "port": None}


def _record_server(info: dict, pid: int) -> None:
    process = procs.process_info(pid)
    info["pid"], info["pid_start_time"] = pid, process.start_time if process else None


# --- local ------------------------------------------------------------------------------------

def _up_local(paths: StorePaths, name: str) -> dict:
    paths.store.mkdir(parents=True, exist_ok=True)
    _write_private(paths.rclone_config, _rclone_config({"type": "local"}))
    return _base_info(paths, "local", name, str(paths.store), paths.store)


# --- s3 (s3rver) ------------------------------------------------------------------------------

def _s3rver_script() -> Path:
    package = npm_prefix() / "node_modules" / "s3rver"
    hint = (f"install it: npm install --prefix {npm_prefix()} --no-audit --no-fund "
            f"s3rver@{S3RVER_VERSION} (scripts/common.sh: install_npm_tools)")
    try:
        version = json.loads((package / "package.json").read_text()).get("version")
    except (OSError, ValueError):
        raise LabError(f"s3rver is not installed in {npm_prefix()}; {hint}") from None
    if version != S3RVER_VERSION:
        raise LabError(f"{package} is s3rver {version}, not {S3RVER_VERSION}; {hint}")
    if not shutil.which("node"):
        raise LabError("node is missing (Debian: apt-get install nodejs)")
    return package / "bin" / "s3rver.js"


def _start_s3rver(paths: StorePaths) -> subprocess.Popen:
    script = _s3rver_script()
    paths.store.mkdir(parents=True, exist_ok=True)
    # -p 0: the kernel picks a free port, which s3rver prints on stdout (read from the log).
    # --configure-bucket also passes when the bucket exists, so a restart keeps the objects.
    argv = ["node", str(script), "-d", str(paths.store), "-a", S3RVER_ADDRESS, "-p", "0",
            "--silent", "--configure-bucket", S3_BUCKET]
    with open(paths.server_log, "wb") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, close_fds=True)


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_s3rver(paths: StorePaths, process: subprocess.Popen) -> int:
    """The port s3rver listens on, once it accepts connections."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        found = _S3RVER_LISTENING.search(paths.server_log.read_bytes())
        if found and sshd.port_answers(S3RVER_ADDRESS, int(found.group(1))):
            return int(found.group(1))
        if process.poll() is not None:
            raise LabError(f"s3rver exited with status {process.returncode} "
                           f"({paths.server_log}: {_log_tail(paths.server_log)})")
        if time.monotonic() >= deadline:
            raise LabError(f"s3rver did not listen within {READY_TIMEOUT:.0f} s "
                           f"({paths.server_log}: {_log_tail(paths.server_log)})")
        time.sleep(0.05)


def _up_s3(paths: StorePaths, name: str) -> dict:
    process = _start_s3rver(paths)
    info = _base_info(paths, "s3", name, S3_BUCKET, paths.store / S3_BUCKET)
    _record_server(info, process.pid)
    _save_info(paths, info)  # from here on, `lab archive down` finds the server
    port = _wait_s3rver(paths, process)
    endpoint = f"http://{S3RVER_ADDRESS}:{port}"
    # provider Other: path-style requests and ListObjects v1, which s3rver serves.
    _write_private(paths.rclone_config, _rclone_config({
        "type": "s3", "provider": "Other", "endpoint": endpoint,
        "access_key_id": S3RVER_CREDENTIALS, "secret_access_key": S3RVER_CREDENTIALS}))
    info.update(port=port, endpoint=endpoint, object_suffix=S3_OBJECT_SUFFIX,
                log=str(paths.server_log))
    return info


# --- sftp (OpenSSH) ---------------------------------------------------------------------------

def _taken_addresses(lab_dir: Path, name: str) -> set[str]:
    taken = set()
    for other in store_names(lab_dir):
        info = load_info(StorePaths(archive_dir(lab_dir) / other)) or {}
        if other != name and info.get("address"):
            taken.add(info["address"])
    return taken


def _sftp_address(lab_dir: Path, name: str, index: int, port: int) -> str:
    """127.<10+index>.0.<10+k>: inside the lab's range, where no node is (nodes' third octet is
    their data center, from 1), the first not taken by another store nor answering on `port`."""
    taken = _taken_addresses(lab_dir, name)
    for k in range(1, 246):
        address = f"127.{10 + index}.0.{10 + k}"
        if address not in taken and not sshd.port_answers(address, port):
            return address
    raise LabError(f"no free archive address in 127.{10 + index}.0.0/24")


def _sftp_keys(paths: StorePaths, index: int, name: str) -> None:
    """The store's host key and the client key rclone logs in with; kept across restarts, so
    the known_hosts and rclone.conf copied elsewhere by a test stay valid."""
    paths.sshd.mkdir(parents=True, exist_ok=True)
    if not paths.host_key.exists():
        keys.generate(paths.host_key, f"lab-{index}-archive-{name}-host")
    if not paths.client_key.exists():
        keys.generate(paths.client_key, f"lab-{index}-archive-{name}-client")


def _up_sftp(paths: StorePaths, name: str, lab: state.LabState, old: dict | None) -> dict:
    address = (old or {}).get("address") or _sftp_address(lab.dir, name, lab.index, lab.port)
    user = pwd.getpwuid(os.geteuid()).pw_name  # sshd as a normal user logs in only that user
    _sftp_keys(paths, lab.index, name)
    paths.store.mkdir(parents=True, exist_ok=True)
    sshd.write_node_files(paths, address, lab.port, keys.public_key(paths.client_key))
    paths.known_hosts.write_text(
        keys.known_hosts_line(address, lab.port, keys.public_key(paths.host_key)) + "\n")
    _write_private(paths.rclone_config, _rclone_config({
        "type": "sftp", "host": address, "port": lab.port, "user": user,
        "key_file": paths.client_key, "known_hosts_file": paths.known_hosts,
        # Said here, rclone need not probe the server on first use and write what it found
        # back into this file (racing the other rclone processes that read it).
        "shell_type": "unix", "md5sum_command": "md5sum", "sha1sum_command": "sha1sum"}))
    sshd.ensure_privsep_dir()
    process = sshd.start(paths)
    info = _base_info(paths, "sftp", name, str(paths.store), paths.store)
    info.update(address=address, port=lab.port, user=user, key_file=str(paths.client_key),
                known_hosts=str(paths.known_hosts), log=str(paths.sshd_log))
    _record_server(info, process.pid)
    _save_info(paths, info)
    sshd.wait_ready(f"archive {name}", paths, process, address, lab.port)
    return info


# --- up, down ---------------------------------------------------------------------------------

def _server_files(paths: StorePaths, kind: str | None) -> list[str]:
    """What only a server's command line names: sshd its -f. Not rclone.conf nor the store,
    which clients name too (s3rver's -d is the store: it is known by its recorded pid), as a
    store going down must not kill its clients."""
    return [str(paths.sshd)] if kind == "sftp" else []


def stop(paths: StorePaths) -> set[int]:
    """Stop the store's server and what runs in it (SFTP and shell sessions); return the pids
    that would not die. info.json then records no server."""
    info = load_info(paths) or {}
    recorded = {info["pid"]} if server_running(info) else set()

    def find() -> set[int]:
        table = procs.ProcessTable()
        found = table.find(_server_files(paths, info.get("kind")), [str(paths.home)])
        return found | recorded | table.descendants(recorded)
    survivors = procs.terminate(procs.hold_still(find))
    if info and not survivors:
        info.update(pid=None, pid_start_time=None)
        _save_info(paths, info)
    return survivors


def up(lab_dir: Path, kind: str, name: str) -> dict:
    """Start (or restart, keeping its objects) the store `name`; return its info.json."""
    if kind not in KINDS:
        raise LabError(f"unknown archive kind {kind!r}; choose from {', '.join(KINDS)}")
    lab = state.load(lab_dir)
    paths = store_paths(lab.dir, name)
    with _locked(lab.dir):
        old = load_info(paths)
        if old and old.get("kind") != kind:
            raise LabError(f"archive store {name} is of kind {old.get('kind')}, not {kind}")
        if old and server_running(old):
            raise LabError(f"archive store {name} is already up (pid {old['pid']})")
        paths.root.mkdir(parents=True, exist_ok=True)
        try:
            if kind == "local":
                info = _up_local(paths, name)
            elif kind == "s3":
                info = _up_s3(paths, name)
            else:
                info = _up_sftp(paths, name, lab, old)
        except BaseException:
            stop(paths)  # nothing half-started stays behind; the files stay (logs)
            raise
        _save_info(paths, info)
    return info
