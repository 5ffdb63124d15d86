"""Running parsed CQL against the simulated cluster (cql.py parses, cqlsh.py prints).

The coordinator routes each write to the replicas of its partition (Murmur3 token, the
keyspace's replication, the ring in ring.json) and appends it to their memtables; replicas that
are down miss it (no hints). Reads merge what the live replicas hold. Schema changes go to
ring.json and are applied to every node's directories, down nodes included (a real node would
catch up when it starts).
"""

import time

from . import placement, rows, storage
from .cql import Blob, CqlError, Uuid
from .cql_connect import Client
from .layout import LabDir
from .node_state import Node, now_millis
from .ring import Ring, updating
from .schema import Table
from .versions import SYSTEM_KEYSPACES

_NAME_RULE = "must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters"
LOCATOR = "org.apache.cassandra.locator."


def invalid(message: str) -> CqlError:
    return CqlError("InvalidRequest", f'Error from server: code=2200 [Invalid query] message="{message}"')


def unavailable(client, consistency: str, required: int, alive: int) -> CqlError:
    """UnavailableException as the driver's Unavailable prints it (its info dict in the order
    of the client's Python)."""
    return CqlError("Unavailable", "Error from server: code=1000 [Unavailable exception] "
                                   f'message="Cannot achieve consistency level {consistency}" '
                                   f"info={client.info_dict(consistency, required, alive)}")


class Result:
    """Rows of a SELECT: column names and row value lists."""

    def __init__(self, columns, values):
        self.columns = columns
        self.values = values


class Session:
    def __init__(self, lab: LabDir, coordinator: str, keyspace: str = None, client=None):
        self.lab = lab
        self.coordinator = coordinator
        self.keyspace = keyspace
        self.client = client or Client(self.node(coordinator).version)
        self.consistency = "ONE"
        self._last_ts = 0
        self._pending = {}  # node name -> [(table, fragment)]
        self._token_ring = None
        self.ring = Ring.load(lab)

    @property
    def token_ring(self) -> placement.TokenRing:
        if self._token_ring is None:
            self._token_ring = placement.TokenRing(self.ring.nodes)
        return self._token_ring

    def reload_ring(self) -> None:
        self.ring = Ring.load(self.lab)
        self._token_ring = None

    # --- plumbing -----------------------------------------------------------------------------
    def node(self, name: str) -> Node:
        return Node(self.lab.node_home(name))

    def serving(self, name: str) -> bool:
        return self.node(name).serving

    def timestamp(self, using: dict) -> int:
        if "timestamp" in using:
            return using["timestamp"]
        self._last_ts = max(self._last_ts + 1, time.time_ns() // 1000)
        return self._last_ts

    def table(self, name, must_exist: bool = True):
        keyspace, table_name = name
        keyspace = keyspace or self.keyspace
        if keyspace is None:
            raise invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
        ks_spec = self.ring.schema["keyspaces"].get(keyspace)
        if ks_spec is None:
            if keyspace in SYSTEM_KEYSPACES:
                raise invalid(f"The lab's cqlsh does not serve system tables ({keyspace}.{table_name})")
            raise invalid(f"Keyspace {keyspace} does not exist")
        spec = ks_spec["tables"].get(table_name)
        if spec is None:
            if must_exist:
                raise invalid(f"table {table_name} does not exist")
            return None
        return Table(keyspace, table_name, spec)

    def replication(self, keyspace: str) -> dict:
        return self.ring.schema["keyspaces"][keyspace]["replication"]

    def flush_pending(self) -> None:
        """Append buffered writes to the replicas' memtables, one node lock at a time."""
        from . import memtable
        for name, writes in self._pending.items():
            node = self.node(name)
            with node.lock():
                by_table = {}
                for table, fragment in writes:
                    by_table.setdefault(table.dir_name, (table, []))[1].append(fragment)
                for table, fragments in by_table.values():
                    memtable.append(node, table, fragments)
        self._pending = {}

    # --- dispatch -----------------------------------------------------------------------------
    def execute(self, statement: dict):
        kind = statement["kind"]
        if kind in ("insert", "update", "delete", "batch"):
            return getattr(self, "_" + kind)(statement)
        self.flush_pending()
        self.reload_ring()  # another session may have changed the schema
        try:
            return getattr(self, "_" + kind)(statement)
        finally:
            if kind not in ("select", "use", "consistency"):
                self.reload_ring()  # this statement changed it

    def close(self) -> None:
        self.flush_pending()

    # --- session commands ---------------------------------------------------------------------
    def _use(self, statement):
        if statement["keyspace"] not in self.ring.schema["keyspaces"] and statement["keyspace"] not in SYSTEM_KEYSPACES:
            raise invalid(f"Keyspace '{statement['keyspace']}' does not exist")
        self.keyspace = statement["keyspace"]

    def _consistency(self, statement):
        if statement["level"] is None:
            return f"Current consistency level is {self.consistency}."
        self.consistency = statement["level"]
        return f"Consistency level set to {self.consistency}."

    # --- DDL ----------------------------------------------------------------------------------
    def _create_keyspace(self, statement):
        name = statement["keyspace"]
        _check_name("Keyspace name", name)
        replication = self._replication(name, statement["replication"])
        with updating(self.lab) as data:
            keyspaces = data["schema"]["keyspaces"]
            if name in keyspaces or name in SYSTEM_KEYSPACES:
                if statement["if_not_exists"]:
                    return
                raise CqlError("AlreadyExists", f"Keyspace '{name}' already exists")
            keyspaces[name] = {"replication": replication, "durable_writes": bool(statement["durable_writes"]),
                               "tables": {}}

    def _replication(self, keyspace: str, given) -> dict:
        if not isinstance(given, dict) or "class" not in given:
            raise CqlError("ConfigurationException", "Missing replication strategy class")
        strategy = str(given["class"]).rsplit(".", 1)[-1]
        options = {str(k): str(v) for k, v in given.items() if k != "class"}
        if strategy == "SimpleStrategy":
            if "replication_factor" not in options:
                raise CqlError("ConfigurationException", "SimpleStrategy requires a replication_factor strategy option.")
        elif strategy == "NetworkTopologyStrategy":
            known = set(self.ring.datacenters)
            for dc in options:
                if dc != "replication_factor" and dc not in known:
                    raise CqlError("ConfigurationException",
                                   f"Unrecognized strategy option {{{dc}}} passed to NetworkTopologyStrategy "
                                   f"for keyspace {keyspace}")
            if "replication_factor" in options:  # 4.0+ expands it to every data center
                factor = options.pop("replication_factor")
                for dc in known:
                    options.setdefault(dc, factor)
        else:
            raise CqlError("ConfigurationException", f"Unable to find replication strategy class '{given['class']}'")
        for dc, factor in options.items():
            if not factor.isdigit():
                raise CqlError("ConfigurationException", f"Replication factor must be non-negative; found {factor}")
        return dict({"class": LOCATOR + strategy}, **dict(sorted(options.items())))

    def _create_table(self, statement):
        keyspace = statement["name"][0] or self.keyspace
        name = statement["name"][1]
        if keyspace is None:
            raise invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
        _check_name("Table name", name)
        spec = _table_spec(statement)
        with updating(self.lab) as data:
            ks_spec = data["schema"]["keyspaces"].get(keyspace)
            if ks_spec is None:
                raise invalid(f"Keyspace {keyspace} doesn't exist")
            if name in ks_spec["tables"]:
                if statement["if_not_exists"]:
                    return
                raise CqlError("AlreadyExists", f"Table '{keyspace}.{name}' already exists")
            ks_spec["tables"][name] = spec
            nodes = list(data["nodes"])
        table = Table(keyspace, name, spec)
        for node_name in nodes:
            storage.ensure_table_dirs(self.node(node_name), table)

    def _alter_add(self, statement):
        table = self.table(statement["name"])
        with updating(self.lab) as data:
            spec = data["schema"]["keyspaces"][table.keyspace]["tables"][table.name]
            existing = {c for c, _ in spec["columns"]}
            for column, cql_type in statement["columns"]:
                if column in existing:
                    raise invalid(f"Column with name '{column}' already exists")
                spec["columns"].append([column, cql_type])

    def _alter_with(self, statement):
        table = self.table(statement["name"])
        with updating(self.lab) as data:
            spec = data["schema"]["keyspaces"][table.keyspace]["tables"][table.name]
            spec.setdefault("options", {}).update(_plain_options(statement["options"]))

    def _drop_table(self, statement):
        table = self.table(statement["name"], must_exist=not statement["if_exists"])
        if table is None:
            return
        with updating(self.lab) as data:
            data["schema"]["keyspaces"][table.keyspace]["tables"].pop(table.name, None)
            nodes = list(data["nodes"])
        self._on_every_node(nodes, lambda node: storage.drop(node, table, now_millis()))

    def _drop_keyspace(self, statement):
        name = statement["keyspace"]
        ks_spec = self.ring.schema["keyspaces"].get(name)
        if ks_spec is None:
            if statement["if_exists"]:
                return
            raise CqlError("ConfigurationException", f"Cannot drop non existing keyspace '{name}'.")
        tables = [Table(name, t, spec) for t, spec in ks_spec["tables"].items()]
        with updating(self.lab) as data:
            data["schema"]["keyspaces"].pop(name, None)
            nodes = list(data["nodes"])
        if self.keyspace == name:
            self.keyspace = None

        def drop_all(node):
            for table in tables:
                storage.drop(node, table, now_millis())
        self._on_every_node(nodes, drop_all)

    def _truncate(self, statement):
        """TRUNCATE needs every node (StorageProxy.truncateBlocking)."""
        table = self.table(statement["name"])
        names = [n["name"] for n in self.ring.nodes]
        alive = [n for n in names if self.serving(n)]
        if len(alive) < len(names):
            raise unavailable(self.client, "ALL", len(names), len(alive))
        self._on_every_node(names, lambda node: storage.truncate(node, table, now_millis()))

    def _on_every_node(self, names, change) -> None:
        for name in names:
            node = self.node(name)
            with node.lock():
                change(node)
                node.save_registry()

    # --- writes -------------------------------------------------------------------------------
    def _write(self, table: Table, fragment: dict) -> None:
        token = rows.partition_token(table.partition_key_types, fragment["k"])
        replicas = self.token_ring.replicas(token, self.replication(table.keyspace))
        alive = [r for r in replicas if self.serving(r)]
        if not alive:
            raise unavailable(self.client, self.consistency, 1, 0)
        for name in alive:
            self._pending.setdefault(name, []).append((table, fragment))

    def _insert(self, statement):
        table = self.table(statement["name"])
        values = {c: _coerce(table, c, v) for c, v in statement["values"].items()}
        _check_columns(table, values)
        key = _key_values(table, values, require_clustering=True)
        ts = self.timestamp(statement["using"])
        cells = {c: [v, ts] for c, v in values.items() if c not in table.partition_key and c not in table.clustering_names}
        fragment = {"k": key[0], "c": key[1], "m": ts}
        if cells:
            fragment["v"] = cells
        self._write(table, fragment)

    def _update(self, statement):
        table = self.table(statement["name"])
        ts = self.timestamp(statement["using"])
        assignments = {c: _coerce(table, c, v) for c, v in statement["set"].items()}
        _check_columns(table, assignments)
        for column in assignments:
            if column in table.partition_key or column in table.clustering_names:
                raise invalid(f"PRIMARY KEY part {column} found in SET part")
        for key in _where_keys(table, statement["where"], require_clustering=True):
            self._write(table, {"k": key[0], "c": key[1], "v": {c: [v, ts] for c, v in assignments.items()}})

    def _delete(self, statement):
        table = self.table(statement["name"])
        ts = self.timestamp(statement["using"])
        _check_columns(table, {c: None for c in statement["columns"]})
        whole_partition = bool(table.clustering) and not any(c in table.clustering_names for c, _, _ in statement["where"])
        for key in _where_keys(table, statement["where"], require_clustering=not whole_partition):
            if statement["columns"]:
                self._write(table, {"k": key[0], "c": key[1], "v": {c: [None, ts] for c in statement["columns"]}})
            elif whole_partition:
                self._write(table, {"k": key[0], "c": None, "pd": ts})
            else:
                self._write(table, {"k": key[0], "c": key[1], "rd": ts})

    def _batch(self, statement):
        for inner in statement["statements"]:
            self.execute(inner)

    # --- reads --------------------------------------------------------------------------------
    def _select(self, statement):
        if tuple(statement["name"]) == ("system_schema", "columns"):
            return self._system_columns(statement)
        table = self.table(statement["name"])
        where = statement["where"]
        for column, _, _ in where:
            if column not in table.types:
                raise invalid(f"Undefined column name {column}")
        fragments = self._read(table, where)
        selected = rows.live_rows(rows.merge(fragments), table)
        selected = [r for r in selected if _matches(r, table, where)]
        if statement["limit"] is not None:
            selected = selected[:statement["limit"]]
        if statement["columns"] == "count":
            return Result(["count"], [[len(selected)]])
        columns = statement["columns"]
        if columns == "*":
            columns = table.partition_key + table.clustering_names + table.regular_columns
        for column in columns:
            if column not in table.types:
                raise invalid(f"Undefined column name {column}")
        return Result(columns, [[r.get(c) for c in columns] for r in selected])

    def _system_columns(self, statement):
        """system_schema.columns of the user tables, the one system table the lab serves: how a
        client learns a table's columns (keyspace_name, table_name, column_name, kind, position,
        type; clustering_order is 'none' but for clustering columns)."""
        names = ["keyspace_name", "table_name", "column_name", "clustering_order", "kind", "position", "type"]
        found = []
        for keyspace, ks_spec in sorted(self.ring.schema["keyspaces"].items()):
            for name, spec in sorted(ks_spec["tables"].items()):
                table = Table(keyspace, name, spec)
                for position, column in enumerate(table.partition_key):
                    found.append([keyspace, name, column, "none", "partition_key", position, table.types[column]])
                for position, (column, order) in enumerate(table.clustering):
                    found.append([keyspace, name, column, order.lower(), "clustering", position, table.types[column]])
                for column in table.regular_columns:
                    found.append([keyspace, name, column, "none", "regular", -1, table.types[column]])
        for column, op, value in statement["where"]:
            if column not in names or op != "=":
                raise invalid(f"The lab serves system_schema.columns by keyspace_name and table_name only ({column})")
            found = [row for row in found if row[names.index(column)] == value]
        columns = names if statement["columns"] == "*" else statement["columns"]
        if columns == "count":
            return Result(["count"], [[len(found)]])
        for column in columns:
            if column not in names:
                raise invalid(f"Undefined column name {column}")
        return Result(columns, [[row[names.index(c)] for c in columns] for row in found])

    def _read(self, table: Table, where) -> list:
        """Fragments from the live replicas: of the named partitions, or of every node."""
        keys = None
        if all(any(c == k for c, _, _ in where) for k in table.partition_key):
            keys = [k for k, _ in _where_keys(table, where, require_clustering=False, partition_only=True)]
        ring = self.token_ring
        replication = self.replication(table.keyspace)
        if keys is None:
            sources = [n["name"] for n in self.ring.nodes]
        else:
            sources = {r for k in keys
                       for r in ring.replicas(rows.partition_token(table.partition_key_types, k), replication)}
        alive = [n for n in sources if self.serving(n)]
        if sources and not alive:
            raise unavailable(self.client, self.consistency, 1, 0)
        fragments = []
        wanted = None if keys is None else {tuple(k) for k in keys}
        for name in alive:
            node = self.node(name)
            with node.lock():
                for fragment in storage.read_fragments(node, table):
                    if wanted is None or tuple(fragment["k"]) in wanted:
                        fragments.append(fragment)
        return fragments


# --- helpers ------------------------------------------------------------------------------------

def _check_name(what: str, name: str) -> None:
    import re
    if not re.fullmatch(r"\w{1,48}", name):
        raise invalid(f"{what} {_NAME_RULE} (got \"{name}\")")


def _plain_options(options: dict) -> dict:
    return {k: v for k, v in options.items() if k not in ("id", "clustering order", "compact storage")}


def _table_spec(statement) -> dict:
    columns = statement["columns"]
    types = dict(columns)
    if not statement["partition_key"]:
        raise invalid("No PRIMARY KEY specifed (exactly one required)")
    for column in statement["partition_key"] + statement["clustering"]:
        if column not in types:
            raise invalid(f"Unknown definition {column} referenced in PRIMARY KEY")
        if types[column] not in rows.SUPPORTED_TYPES:
            raise invalid(f"The lab's cqlsh does not support primary key columns of type {types[column]}")
    order = dict((c, o) for c, o in statement["options"].get("clustering order", []))
    table_id = statement["options"].get("id")
    if table_id is None:
        import uuid
        table_id = uuid.uuid1().hex
    return {"id": str(table_id).replace("-", ""), "columns": columns, "partition_key": statement["partition_key"],
            "clustering": [[c, order.get(c, "ASC")] for c in statement["clustering"]],
            "options": _plain_options(statement["options"]), "created_at": now_millis()}


def _check_columns(table: Table, values: dict) -> None:
    for column in values:
        if column not in table.types:
            raise invalid(f"Undefined column name {column}")


_INT_RANGES = {"int": 32, "bigint": 64, "smallint": 16, "tinyint": 8, "timestamp": 64, "counter": 64}


def _literal_kind(value) -> str:
    if isinstance(value, Uuid):
        return "UUID"
    if isinstance(value, Blob):
        return "HEX"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "FLOAT"
    return "STRING"


def _coerce(table: Table, column: str, value):
    """A literal as stored for the column's type; InvalidRequest when it does not fit."""
    cql_type = table.types.get(column)
    if cql_type is None:
        raise invalid(f"Undefined column name {column}")
    if value is None:
        return None
    kind = _literal_kind(value)
    ok = {
        "INTEGER": cql_type in _INT_RANGES or cql_type in ("double", "float", "varint", "decimal"),
        "FLOAT": cql_type in ("double", "float", "decimal"),
        "STRING": cql_type in ("text", "varchar", "ascii", "timestamp", "date", "time", "inet") or "<" in cql_type,
        "UUID": cql_type in ("uuid", "timeuuid"),
        "HEX": cql_type == "blob",
        "BOOLEAN": cql_type == "boolean",
    }[kind]
    if isinstance(value, (dict, list)):
        ok = "<" in cql_type
    if not ok:
        raise invalid(f"Invalid {kind} constant ({value}) for \"{column}\" of type {cql_type}")
    if kind == "INTEGER" and cql_type in _INT_RANGES:
        bits = _INT_RANGES[cql_type]
        if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
            raise invalid(f"Unable to make {cql_type} from '{value}'")
    if kind == "INTEGER" and cql_type in ("double", "float"):
        return float(value)
    return str(value) if isinstance(value, (Uuid, Blob)) else value


def _key_values(table: Table, values: dict, require_clustering: bool):
    missing = [c for c in table.partition_key if values.get(c) is None]
    if missing:
        raise invalid(f"Some partition key parts are missing: {', '.join(missing)}")
    clustering = [values.get(c) for c in table.clustering_names]
    if require_clustering and any(v is None for v in clustering):
        missing = [c for c in table.clustering_names if values.get(c) is None]
        raise invalid(f"Some clustering keys are missing: {', '.join(missing)}")
    return [values[c] for c in table.partition_key], clustering


def _where_keys(table: Table, where, require_clustering: bool, partition_only: bool = False) -> list:
    """Every (partition key, clustering) the WHERE clause names (IN expands)."""
    options = {}
    for column, op, value in where:
        if column not in table.types:
            raise invalid(f"Undefined column name {column}")
        candidates = value if op == "IN" else [value]
        options[column] = [_coerce(table, column, v) for v in candidates]
    key_columns = table.partition_key + ([] if partition_only else table.clustering_names)
    combos = [{}]
    for column in key_columns:
        if column not in options:
            continue
        combos = [dict(c, **{column: v}) for c in combos for v in options[column]]
    keys = []
    for combo in combos:
        pk, ck = _key_values(table, combo, require_clustering and not partition_only)
        keys.append((pk, ck))
    return keys


def _matches(row: dict, table: Table, where) -> bool:
    for column, op, value in where:
        candidates = value if op == "IN" else [value]
        wanted = [_coerce(table, column, v) for v in candidates]
        if row.get(column) not in wanted:
            return False
    return True
