# SPDX-License-Identifier: Apache-2.0
"""lab.json: what the launcher knows about a lab (index, port, nodes and their sshd pids, paths).

Written atomically (temp file, rename) so a reader never sees half a file, and changed only under
an flock on lab.lock, so that two `lab` commands working on one lab at once (tests kill hosts in
parallel) do not lose each other's updates.
"""

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import LabError
from .layout import LabPaths, Node

FORMAT = "ringsnap-lab"
FORMAT_VERSION = 1


@dataclass
class LabState:
    index: int
    dir: Path
    port: int
    user: str
    cluster: str
    python: str  # the interpreter that runs the simulator
    state: str = "starting"  # starting | up
    num_tokens: int | None = None
    boot_id: str = ""  # processes of another boot are gone: see commands.lab_is_live
    created_at: str = ""
    nodes: list[Node] = field(default_factory=list)

    @property
    def paths(self) -> LabPaths:
        return LabPaths(self.dir)

    def node(self, name_or_address: str) -> Node:
        for node in self.nodes:
            if name_or_address in (node.name, node.address):
                return node
        names = ", ".join(n.name for n in self.nodes)
        raise LabError(f"no node {name_or_address!r} in lab {self.index} (nodes: {names})")

    def to_json(self) -> dict:
        paths = self.paths
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "index": self.index, "cluster": self.cluster, "dir": str(self.dir),
            "port": self.port, "user": self.user, "state": self.state,
            "num_tokens": self.num_tokens, "python": self.python,
            "boot_id": self.boot_id, "created_at": self.created_at,
            "paths": {
                "cluster_file": str(paths.cluster_file), "catalog": str(paths.catalog),
                "client_key": str(paths.client_key), "known_hosts": str(paths.known_hosts),
            },
            "nodes": [node.to_json() for node in self.nodes],
        }

    @classmethod
    def from_json(cls, data: dict) -> "LabState":
        if data.get("format") != FORMAT:
            raise ValueError("not a lab.json")
        return cls(index=data["index"], dir=Path(data["dir"]), port=data["port"],
                   user=data["user"], cluster=data["cluster"], python=data["python"],
                   state=data.get("state", "up"), num_tokens=data.get("num_tokens"),
                   boot_id=data.get("boot_id", ""), created_at=data.get("created_at", ""),
                   nodes=[Node.from_json(n) for n in data["nodes"]])


def load(lab_dir: Path) -> LabState:
    path = LabPaths(lab_dir).state
    try:
        return LabState.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise LabError(f"{lab_dir} holds no lab (no lab.json)") from None
    except (ValueError, KeyError, TypeError) as e:
        raise LabError(f"{path} is not a lab.json this launcher understands: {e}") from None


def try_load(lab_dir: Path) -> LabState | None:
    try:
        return load(lab_dir)
    except LabError:
        return None


def save(lab: LabState) -> None:
    path = lab.paths.state
    temp = path.with_name(f".lab.json.{os.getpid()}")
    temp.write_text(json.dumps(lab.to_json(), indent=2) + "\n")
    os.replace(temp, path)


@contextmanager
def updating(lab_dir: Path):
    """Load lab.json under the lab's lock, let the block change it, save it on success."""
    fd = os.open(LabPaths(lab_dir).state_lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        lab = load(lab_dir)
        yield lab
        save(lab)
    finally:
        os.close(fd)
