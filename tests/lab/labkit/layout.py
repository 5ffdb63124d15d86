# SPDX-License-Identifier: Apache-2.0
"""Names, addresses and paths of a lab (README.md, "Lab directory" and "Node addresses").

Lab <index> owns 127.<10+index>.0.0/16; node i of data center d (both from 1) is dc<d>-n<i> at
127.<10+index>.<d>.<10+i>. As root every sshd listens on port 22; as another user on
22000 + index, because only root may bind ports below 1024.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

# The versions docs/cassandra-behaviour.md describes.
SUPPORTED_VERSIONS = ("3.11", "4.0", "4.1", "5.0")
MAX_INDEX = 99
MAX_DATACENTERS = 254
MAX_NODES_PER_DC = 245  # the last octet is 10 + i and must stay below 256


def is_supported_version(text: str) -> bool:
    """A major line (`4.0`, the simulator picks its default release) or a release of one
    (`4.0.12`): the line decides the behaviour, the release its release-specific fixes."""
    match = re.fullmatch(r"(\d+\.\d+)(\.\d+)?", text)
    return bool(match) and match.group(1) in SUPPORTED_VERSIONS


def default_port(index: int) -> int:
    return 22 if os.geteuid() == 0 else 22000 + index


def default_dir(index: int) -> Path:
    return Path(f"/tmp/ringsnap-lab-{index}")


def node_address(index: int, dc: int, node: int) -> str:
    return f"127.{10 + index}.{dc}.{10 + node}"


@dataclass
class Node:
    """One node of the lab: its place in the ring and the state of its host."""

    name: str
    dc: str
    rack: str
    address: str
    version: str
    host: str = "up"  # up | frozen | killed: what `lab` last did to the host
    sshd_pid: int | None = None
    sshd_start_time: int | None = None  # with the pid, identifies our sshd (pids get reused)

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> "Node":
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        return cls(**known)


def plan_nodes(index: int, dcs: int, nodes_per_dc: int, versions: list[str],
               racks: int) -> list[Node]:
    """The nodes of a new lab in ring order (dc1-n1, dc1-n2, ..., dc2-n1, ...): versions are
    dealt round-robin over that order, racks round-robin within each data center."""
    planned = []
    for d in range(1, dcs + 1):
        for i in range(1, nodes_per_dc + 1):
            planned.append(Node(
                name=f"dc{d}-n{i}",
                dc=f"dc{d}",
                rack=f"rack{(i - 1) % racks + 1}",
                address=node_address(index, d, i),
                version=versions[len(planned) % len(versions)],
            ))
    return planned


class LabPaths:
    """Where everything of the lab in `root` lives; the layout is the contract in README.md."""

    def __init__(self, root: Path):
        self.root = root
        self.state = root / "lab.json"
        self.state_lock = root / "lab.lock"
        self.cluster_file = root / "cluster.yaml"
        self.catalog = root / "catalog"
        self.ssh = root / "ssh"
        self.client_key = self.ssh / "client_key"
        self.known_hosts = self.ssh / "known_hosts"
        self.nodes = root / "nodes"

    def node(self, name: str) -> "NodePaths":
        return NodePaths(self.nodes / name)


class NodePaths:
    def __init__(self, root: Path):
        self.root = root
        self.sshd = root / "sshd"
        self.sshd_config = self.sshd / "sshd_config"
        self.host_key = self.sshd / "ssh_host_ed25519_key"
        self.sshd_pid = self.sshd / "sshd.pid"
        self.sshd_log = self.sshd / "sshd.log"
        self.authorized_keys = self.sshd / "authorized_keys"
        self.home = root / "home"
        self.bin = root / "bin"
        self.conf = root / "conf"
        self.node_state = self.conf / "node.json"
        self.data = root / "data"
        self.commitlog = root / "commitlog"

    def tool(self, name: str) -> Path:
        return self.bin / name
