# SPDX-License-Identifier: Apache-2.0
"""Lab indexes, claimed in /tmp/ringsnap-labs/ so that several labs can run side by side.

A lab outlives the command that starts it, so a held lock cannot mark an index as taken. Instead
`lab-<index>.json` names the lab directory that took the index (and the `lab up` process, the
boot); a claim counts while that lab still runs (commands.lab_is_live decides). The flock on
`lock` only makes "find a free index and claim it" atomic between concurrent `lab up`s.

The directory is shared by every user (mode 1777, like /tmp), so that a root CI job and a normal
user's labs do not take the same index.
"""

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REGISTRY_DIR = Path("/tmp/ringsnap-labs")


@dataclass
class Claim:
    index: int
    dir: Path
    owner_pid: int | None  # the `lab up` that is building the lab, until it is done
    owner_start_time: int | None
    boot_id: str
    uid: int  # who took it: the owner of the claim file
    path: Path  # the claim file itself


def _ensure_registry() -> None:
    if REGISTRY_DIR.is_dir():
        return
    REGISTRY_DIR.mkdir(parents=True, exist_ok=True)
    try:
        REGISTRY_DIR.chmod(0o1777)
    except PermissionError:  # someone else created it meanwhile: theirs to set up
        pass


@contextmanager
def locked():
    """Hold the registry lock (exclusive) for the duration of the `with` block."""
    _ensure_registry()
    lock_path = REGISTRY_DIR / "lock"
    fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o666)
    try:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, 0o666)  # the umask must not lock other users out
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def claim_path(index: int) -> Path:
    return REGISTRY_DIR / f"lab-{index}.json"


def read_claim(path: Path) -> Claim | None:
    try:
        data = json.loads(path.read_text())
        return Claim(index=int(data["index"]), dir=Path(data["dir"]),
                     owner_pid=data.get("owner_pid"), owner_start_time=data.get("owner_start_time"),
                     boot_id=data.get("boot_id", ""), uid=path.stat().st_uid, path=path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def all_claims() -> list[Claim]:
    if not REGISTRY_DIR.is_dir():
        return []
    claims = (read_claim(path) for path in sorted(REGISTRY_DIR.glob("lab-*.json")))
    return sorted((c for c in claims if c is not None), key=lambda c: c.index)


def write_claim(index: int, lab_dir: Path, owner_pid: int | None, owner_start_time: int | None,
                boot: str) -> bool:
    """Write (or overwrite) the claim on `index`; False when another user's stale claim file is
    in the way (the sticky registry directory lets only its owner replace it)."""
    path = claim_path(index)
    data = {"index": index, "dir": str(lab_dir), "owner_pid": owner_pid,
            "owner_start_time": owner_start_time, "boot_id": boot}
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temp.write_text(json.dumps(data) + "\n")
        temp.chmod(0o644)
        os.replace(temp, path)
        return True
    except PermissionError:
        temp.unlink(missing_ok=True)
        return False


def release(index: int, lab_dir: Path) -> None:
    """Drop the claim on `index` if it is still the one of `lab_dir`."""
    path = claim_path(index)
    claim = read_claim(path)
    if claim is not None and claim.dir == lab_dir:
        try:
            path.unlink(missing_ok=True)
        except PermissionError:
            pass
