# SPDX-License-Identifier: Apache-2.0
"""The ringsnap cluster file of a lab (design.md, "Cluster file").

The lab's nodes differ only in their paths, so every node carries its own `cassandra:` block.
The YAML is written by hand (no library in the standard library) and kept to the plain subset
the design's example uses: block mappings and sequences, flow lists of scalars, comments.
"""

import json
import re

from .layout import LabPaths, Node
from .state import LabState

CONNECT_TIMEOUT = "5s"
COMMAND_TIMEOUT = "5m"

# Scalars written unquoted: paths, names, addresses, durations. Anything YAML would read as
# another type (numbers, booleans, null, dates), or that holds other characters, is quoted.
_PLAIN = re.compile(r"[A-Za-z0-9_/~][A-Za-z0-9_./~@+-]*")
_TYPED = re.compile(r"[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|0[xob][0-9a-fA-F_]+)"  # numbers
                    r"|\d{4}-\d\d?-\d\d?.*"  # dates and timestamps
                    r"|(?i:true|false|yes|no|on|off|null|y|n)")


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and not _TYPED.fullmatch(text):
        return text
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def _is_scalar(value) -> bool:
    return not isinstance(value, (dict, list))


def _mapping_lines(mapping: dict, indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for key, value in mapping.items():
        if _is_scalar(value):
            lines.append(f"{pad}{key}: {_scalar(value)}")
        elif isinstance(value, list) and all(_is_scalar(v) for v in value):
            lines.append(f"{pad}{key}: [{', '.join(_scalar(v) for v in value)}]")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}:")
            lines += _sequence_lines(value, indent + 2)
        else:
            lines.append(f"{pad}{key}:")
            lines += _mapping_lines(value, indent + 2)
    return lines


def _sequence_lines(items: list[dict], indent: int) -> list[str]:
    """A block sequence of mappings: the first key goes on the `- ` line."""
    lines = []
    for item in items:
        item_lines = _mapping_lines(item, indent + 2)
        lines.append(" " * indent + "- " + item_lines[0].lstrip())
        lines += item_lines[1:]
    return lines


def _node_cassandra(paths: LabPaths, node: Node) -> dict:
    node_paths = paths.node(node.name)
    return {
        "nodetool": str(node_paths.tool("nodetool")),
        "cqlsh": str(node_paths.tool("cqlsh")),
        "data_dirs": [str(node_paths.data)],
        "commitlog_dir": str(node_paths.commitlog),
        "sstableloader": str(node_paths.tool("sstableloader")),
        "stop_command": str(node_paths.tool("cassandra-stop")),
        "start_command": str(node_paths.tool("cassandra-start")),
        "config_file": str(node_paths.conf / "cassandra.yaml"),
    }


def cluster_document(lab: LabState) -> dict:
    paths = lab.paths
    datacenters: dict[str, dict] = {}
    for node in lab.nodes:
        entry = {"host": node.address, "rack": node.rack, "cassandra": _node_cassandra(paths, node)}
        datacenters.setdefault(node.dc, {"nodes": []})["nodes"].append(entry)
    return {
        "cluster": lab.cluster,
        "catalog": str(paths.catalog),
        "ssh": {
            "user": lab.user,
            "port": lab.port,
            "identity_file": str(paths.client_key),
            "known_hosts": str(paths.known_hosts),
            "connect_timeout": CONNECT_TIMEOUT,
            "command_timeout": COMMAND_TIMEOUT,
        },
        "datacenters": datacenters,
    }


def render(lab: LabState) -> str:
    header = [
        f"# ringsnap cluster file of lab {lab.index} ({lab.dir}), written by tests/lab/lab.",
        "# Node names and addresses: `tests/lab/lab status`.",
    ]
    return "\n".join(header + _mapping_lines(cluster_document(lab), 0)) + "\n"
