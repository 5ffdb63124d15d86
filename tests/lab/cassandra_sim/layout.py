"""Where things live in a lab directory (../README.md, "Lab directory"), plus the two
file-system primitives every writer uses: flock()ed sections and atomic JSON replacement.

    DIR/ring.json, DIR/ring.lock          cluster-wide state (ring.py)
    DIR/nodes/<name>/bin/                 the node's tools (sim.py writes them)
    DIR/nodes/<name>/conf/cassandra.yaml  settings the node honours (node_state.py)
    DIR/nodes/<name>/conf/node.json       per-node runtime state (node_state.py)
    DIR/nodes/<name>/data/                data_file_directories[0] (more: data2/, data3/, ...)
    DIR/nodes/<name>/commitlog/           commit log segments, holding the unflushed writes
    DIR/nodes/<name>/state/               simulator-private: node.lock, sstables.json (the live
                                          sstable set), ttl_snapshots.json
"""

import fcntl
import os

from . import jsonlite


class LabDir:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.ring = os.path.join(self.root, "ring.json")
        self.ring_lock = os.path.join(self.root, "ring.lock")
        self.nodes = os.path.join(self.root, "nodes")
        self.cache = os.path.join(self.root, "sim-cache")
        self.lab_json = os.path.join(self.root, "lab.json")

    def node_home(self, name: str) -> "NodeHome":
        return NodeHome(os.path.join(self.nodes, name))


class NodeHome:
    """The paths of one node. `root` is DIR/nodes/<name>; the lab is two levels up."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.name = os.path.basename(self.root)
        self.lab = LabDir(os.path.dirname(os.path.dirname(self.root)))
        self.bin = os.path.join(self.root, "bin")
        self.conf = os.path.join(self.root, "conf")
        self.yaml = os.path.join(self.conf, "cassandra.yaml")
        self.node_json = os.path.join(self.conf, "node.json")
        self.jmx_password_file = os.path.join(self.conf, "jmxremote.password")
        self.cql_users = os.path.join(self.conf, "cql_users")
        self.commitlog = os.path.join(self.root, "commitlog")
        self.state = os.path.join(self.root, "state")
        self.lock = os.path.join(self.state, "node.lock")
        self.sstables_json = os.path.join(self.state, "sstables.json")
        self.ttl_snapshots = os.path.join(self.state, "ttl_snapshots.json")

    def default_data_dir(self, index: int) -> str:
        return os.path.join(self.root, "data" if index == 0 else f"data{index + 1}")


class locked:
    """`with locked(path):` holds an flock on `path` (created if missing) for the block."""

    def __init__(self, path: str, shared: bool = False):
        self.path = path
        self.mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, self.mode)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing releases the lock
        return False


def read_json(path: str, default=None):
    try:
        with open(path, "rb") as f:
            return jsonlite.loads(f.read())
    except FileNotFoundError:
        return default


def write_json(path: str, value, indent=None) -> None:
    """Replace `path` atomically (temp file + rename): readers never see half a file."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(jsonlite.dumps(value, indent=indent))
        f.write("\n")
    os.replace(tmp, path)


def write_text_atomic(path: str, text: str, mode: int = 0o644) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
