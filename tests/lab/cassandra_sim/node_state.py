"""One simulated node's settings and state.

- conf/cassandra.yaml: settings the node honours. Tests and the launcher may edit it; like
  Cassandra, the node reads it at start (incremental_backups) or when it needs a value.
  Parsed by a tiny reader for the YAML subset written here (no yaml module: nodetool must start
  fast).
- conf/node.json: runtime state (running, drained, the enablebackup flag, host id, gossip
  generation, when and how gossip stopped, cached load). Authoritative for up/down.
- state/sstables.json: the live sstable set per table and the generation counter (Cassandra's
  Tracker and fileIndexGenerator). Files dropped into a table directory are not live until
  `nodetool refresh`/`import` or a restart, exactly as in Cassandra.
"""

import os
import time

from .layout import NodeHome, locked, read_json, write_json
from .versions import Version


def parse_yaml_subset(text: str) -> dict:
    """Top-level `key: value`, lists of `- item` under a key, and one nested level of
    `key:\\n  sub: value` (flattened to key_sub). Comments and quotes are stripped."""
    settings, current_key = {}, None
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indented = line[0] in " \t"
        stripped = line.strip()
        if indented and stripped.startswith("- ") and current_key:
            if not isinstance(settings.get(current_key), list):
                settings[current_key] = []
            settings[current_key].append(_scalar(stripped[2:]))
        elif indented and current_key and ":" in stripped:
            sub, _, value = stripped.partition(":")
            settings[f"{current_key}_{sub.strip()}"] = _scalar(value)
        elif ":" in stripped:
            key, _, value = stripped.partition(":")
            current_key = key.strip()
            settings[current_key] = _scalar(value) if value.strip() else None
    return settings


def _scalar(text: str):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def render_yaml(node_name: str, release: str, settings: list) -> str:
    """cassandra.yaml as create-node writes it; `settings` is a list of (key, value)."""
    lines = [f"# cassandra.yaml of simulated Cassandra {release} node {node_name} (ringsnap lab).",
             "# The simulator reads the keys below; edit them like a real cassandra.yaml."]
    for key, value in settings:
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"    - {item}" for item in value]
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {sub}: {_yaml_value(v)}" for sub, v in value.items()]
        else:
            lines.append(f"{key}: {_yaml_value(value)}")
    return "\n".join(lines) + "\n"


def _yaml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Node:
    """A node as seen from one tool invocation."""

    def __init__(self, home: NodeHome):
        self.home = home
        self.state = read_json(home.node_json)
        if self.state is None:
            raise FileNotFoundError(f"{home.node_json} is missing: not a simulated node")
        self.version = Version(self.state.get("release_version") or self.state["version"])
        self._settings = None
        self._registry = None

    # --- identity -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.state["name"]

    @property
    def address(self) -> str:
        return self.state["address"]

    @property
    def running(self) -> bool:
        return bool(self.state.get("running"))

    @property
    def serving(self) -> bool:
        """Up as the rest of the cluster sees it: running and not drained (drain stops gossip
        and the native transport, cassandra-behaviour.md §8.5)."""
        return self.running and not self.state.get("drained")

    # --- settings -----------------------------------------------------------------------------
    @property
    def settings(self) -> dict:
        if self._settings is None:
            try:
                with open(self.home.yaml) as f:
                    self._settings = parse_yaml_subset(f.read())
            except FileNotFoundError:
                self._settings = {}
        return self._settings

    @property
    def data_dirs(self) -> list:
        dirs = self.settings.get("data_file_directories") or [self.home.default_data_dir(0)]
        return [d if os.path.isabs(d) else os.path.join(self.home.root, d) for d in dirs]

    @property
    def commitlog_dir(self) -> str:
        """commitlog_directory: where the unflushed writes live (memtable.py)."""
        directory = self.settings.get("commitlog_directory") or self.home.commitlog
        return directory if os.path.isabs(directory) else os.path.join(self.home.root, directory)

    @property
    def sstable_format(self) -> tuple:
        return self.version.sstable_format(self.settings)

    def can_read(self, descriptor) -> bool:
        """Whether this node can open an sstable of that name at all: a known format, an id it
        can parse and a version its settings make readable (cassandra-behaviour.md §6.8)."""
        return self.version.can_read_sstable(descriptor.version, descriptor.format, self.settings) and \
            self.version.can_read_sstable_id(descriptor.id)

    @property
    def uuid_sstable_ids(self) -> bool:
        return self.version.supports_uuid_sstable_ids and \
            self.settings.get("uuid_sstable_identifiers_enabled") is True

    @property
    def auto_snapshot(self) -> bool:
        return self.settings.get("auto_snapshot", True) is not False

    @property
    def incremental_backups(self) -> bool:
        """The runtime flag (enablebackup/disablebackup), initialised from cassandra.yaml at
        start (cassandra-behaviour.md §7)."""
        return bool(self.state.get("incremental_backups"))

    # --- state files --------------------------------------------------------------------------
    def save_state(self) -> None:
        write_json(self.home.node_json, self.state, indent=2)

    @property
    def registry(self) -> dict:
        if self._registry is None:
            self._registry = read_json(self.home.sstables_json, {"tables": {}})
        return self._registry

    def table_entry(self, table) -> dict:
        return self.registry["tables"].setdefault(f"{table.keyspace}/{table.dir_name}", {"gen": 0, "live": []})

    def save_registry(self) -> None:
        """Write the live set and refresh the cached load (nodetool status reads every node's
        node.json; summing thousands of files there would be too slow)."""
        write_json(self.home.sstables_json, self.registry)
        load = sum(size for entry in self.registry["tables"].values() for _, _, size in entry["live"])
        if self.state.get("load") != load:
            self.state["load"] = load
            self.save_state()

    def mark_gossip_stopped(self, how: str) -> None:
        """Record when and how the node's gossip ended (nodetool gossipinfo shows it to the
        peers): "shutdown" for a drain or a graceful stop, which announce it, or "killed" for a
        crash, after which the peers keep the node's last state. Boot clears both."""
        self.state.update(gossip_stopped_at_ms=now_millis(), gossip_stop=how)

    def lock(self):
        """Serialises everything that changes this node's files."""
        os.makedirs(self.home.state, exist_ok=True)
        return locked(self.home.lock)

    def table_dirs(self, table) -> list:
        """The table's directory in every data directory."""
        return [os.path.join(d, table.keyspace, table.dir_name) for d in self.data_dirs]


def now_millis() -> int:
    return time.time_ns() // 1_000_000


def now_micros() -> int:
    return time.time_ns() // 1000
