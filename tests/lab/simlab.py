"""Test helper: a throw-away lab directory with simulated nodes, no sshd.

Nodes are made with `sim.py create-node` and driven through their bin/ scripts, exactly as the
launcher and ringsnap (over SSH) use them.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "cassandra_sim", "sim.py")
if HERE not in sys.path:
    sys.path.insert(0, HERE)


class Lab:
    """nodes: [(name, dc, rack, version)] or [(name, dc, rack, version, num_tokens)]."""

    _next_prefix = [30]

    def __init__(self, nodes, data_dirs: int = 1):
        self.dir = tempfile.mkdtemp(prefix="simlab-")
        self.home_dir = os.path.join(self.dir, "home")  # HOME of the tools (nodetool.history)
        os.makedirs(self.home_dir)
        Lab._next_prefix[0] += 1
        prefix = Lab._next_prefix[0]
        self.addresses = {}
        specs = []
        for index, node in enumerate(nodes):
            name, dc, rack, version = node[:4]
            address = f"127.{prefix}.{int(dc[2:])}.{11 + index}"
            self.addresses[name] = address
            args = [sys.executable, SIM, "create-node", "--lab", self.dir, "--name", name, "--address", address,
                    "--dc", dc, "--rack", rack, "--version", version, "--data-dirs", str(data_dirs)]
            if len(node) > 4:
                args += ["--num-tokens", str(node[4])]
            specs.append(args)
        with ThreadPoolExecutor(max_workers=4) as pool:
            for result in pool.map(lambda a: subprocess.run(a, capture_output=True, text=True), specs):
                if result.returncode:
                    raise RuntimeError(f"create-node failed: {result.stderr}")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- paths --------------------------------------------------------------------------------
    def node_dir(self, name: str, *parts) -> str:
        return os.path.join(self.dir, "nodes", name, *parts)

    def data_dir(self, name: str) -> str:
        return self.node_dir(name, "data")

    def table_dir(self, name: str, keyspace: str, table: str) -> str:
        ks_dir = os.path.join(self.data_dir(name), keyspace)
        matches = [d for d in os.listdir(ks_dir) if d.rsplit("-", 1)[0] == table]
        assert len(matches) == 1, matches
        return os.path.join(ks_dir, matches[0])

    def ring(self) -> dict:
        with open(os.path.join(self.dir, "ring.json")) as f:
            return json.load(f)

    def node_state(self, name: str) -> dict:
        with open(self.node_dir(name, "conf", "node.json")) as f:
            return json.load(f)

    def edit_yaml(self, name: str, key: str, value: str) -> None:
        path = self.node_dir(name, "conf", "cassandra.yaml")
        with open(path) as f:
            lines = f.read().splitlines()
        found = False
        for i, line in enumerate(lines):
            if line.startswith(key + ":"):
                lines[i] = f"{key}: {value}"
                found = True
        if not found:
            lines.append(f"{key}: {value}")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    # --- tools --------------------------------------------------------------------------------
    def run(self, name: str, tool: str, *args, stdin: str = None, env: dict = None) -> subprocess.CompletedProcess:
        environment = {"PATH": "/usr/bin:/bin", "HOME": self.home_dir, **(env or {})}
        return subprocess.run([self.node_dir(name, "bin", tool), *args], input=stdin, capture_output=True,
                              text=True, env=environment)

    def nodetool(self, name: str, *args) -> subprocess.CompletedProcess:
        return self.run(name, "nodetool", *args)

    def cql(self, name: str, statements: str) -> str:
        result = self.run(name, "cqlsh", "-e", statements)
        if result.returncode != 0:
            raise AssertionError(f"cqlsh failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def ok(self, name: str, tool: str, *args) -> str:
        result = self.run(name, tool, *args)
        if result.returncode != 0:
            raise AssertionError(f"{tool} {args} failed ({result.returncode}): {result.stdout}{result.stderr}")
        return result.stdout

    def select_rows(self, name: str, query: str) -> list:
        """Rows of a cqlsh SELECT as lists of cell strings."""
        lines = self.cql(name, query).splitlines()
        rows = []
        for line in lines[3:]:  # blank, header, separator
            if not line:
                break
            rows.append([c.strip() for c in line.split("|")])
        return rows


def sstable_files(directory: str) -> list:
    return sorted(f for f in os.listdir(directory) if os.path.isfile(os.path.join(directory, f))
                  and f not in ("manifest.json", "schema.cql"))
