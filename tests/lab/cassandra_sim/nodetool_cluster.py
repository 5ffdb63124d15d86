"""nodetool commands about the cluster: version, status, info, describecluster, ring,
getendpoints, statusbinary, statusgossip, datapaths (cassandra-behaviour.md §8)."""

import os

from . import formatting, placement
from .errors import BadUse, Exit

STORAGE_PORT = 7000


def version(ctx, options, args) -> None:
    ctx.println(f"ReleaseVersion: {ctx.version.release}")
    if options.get("verbose"):
        ctx.println("GitSHA: 9ed1b8e4f1c1e2d8b6a6f0f8e7f0d1a4c2b3e5f6")


def statusbinary(ctx, options, args) -> None:
    ctx.println("not running" if ctx.node.state.get("drained") else "running")


def statusgossip(ctx, options, args) -> None:
    ctx.println("not running" if ctx.node.state.get("drained") else "running")


# --- shared helpers -----------------------------------------------------------------------------

class OwnershipUnavailable(Exception):
    """StorageService throws IllegalStateException: ownership is shown as '?' with a Note."""


def effective_ownership(ctx, keyspace):
    """StorageService.getEffectiveOwnership: {node name: fraction} (cassandra-behaviour.md
    §8.1). Raises BadUse-like IAE text via KeyError, or OwnershipUnavailable."""
    schema = ctx.schema
    if keyspace is not None:
        if not schema.has_keyspace(keyspace):
            raise LookupError(f"The keyspace {keyspace}, does not exist")
        replication = schema.replication(keyspace)
        if placement.strategy_name(replication) == placement.LOCAL:
            raise OwnershipUnavailable("Ownership values for keyspaces with LocalStrategy are meaningless")
    else:
        user = schema.user_keyspace_names()
        if user:
            replication = schema.replication(user[0])
            for name in user:
                if not placement.same_settings(schema.replication(name), replication):
                    raise OwnershipUnavailable("Non-system keyspaces don't have the same replication settings, "
                                               "effective ownership information is meaningless")
        else:
            replication = schema.replication("system_traces")
    return placement.cached_effective_ownership(ctx.node.home.lab.cache, ctx.ring.nodes, replication)


def _address_key(address: str):
    return tuple(int(p) if p.isdigit() else 0 for p in address.split("."))


def nodes_by_dc(ctx) -> dict:
    """{dc: [node entries ordered by address]}, data centers in name order (a SortedMap)."""
    grouped = {}
    for node in ctx.ring.nodes:
        grouped.setdefault(node["dc"], []).append(node)
    return {dc: sorted(grouped[dc], key=lambda n: _address_key(n["address"])) for dc in sorted(grouped)}


def _load(ctx, name: str) -> str:
    state = ctx.peer_state(name)
    return formatting.stringify_file_size(state["load"]) if "load" in state else "?"


def _endpoint(ctx, node: dict, with_port: bool) -> str:
    return f"{node['address']}:{STORAGE_PORT}" if with_port else node["address"]


# --- status -------------------------------------------------------------------------------------

def status(ctx, options, args) -> None:
    keyspace = args[0] if args else None
    errors = ""
    try:
        ownership, has_effective = effective_ownership(ctx, keyspace), True
    except OwnershipUnavailable as e:
        ownership, has_effective = {}, False
        errors = f"Note: {e}\n"
    except LookupError as e:
        raise Exit(1, stdout=f"\nError: {e.args[0]}\n")
    dcs = nodes_by_dc(ctx)
    token_count = sum(len(n["tokens"]) for n in ctx.ring.nodes)
    # Status.java: "More tokens than nodes (aka vnodes)?" compares the number of *data centers*.
    token_per_node = not len(dcs) < token_count
    if ctx.version.major == "3.11":
        _status_311(ctx, dcs, ownership, has_effective, token_per_node)
    else:
        _status_40(ctx, dcs, ownership, has_effective, token_per_node)
    ctx.out.write("\n" + errors)


def _status_row(ctx, node, ownership, has_effective, token_per_node) -> list:
    up = "U" if ctx.peer_is_up(node["name"]) else "D"
    owns = formatting.percent(ownership[node["name"]], 1) if has_effective and node["name"] in ownership else "?"
    address = _endpoint(ctx, node, ctx.print_port)
    load = _load(ctx, node["name"])
    if token_per_node:
        return [up + "N", address, load, owns, node["host_id"], str(node["tokens"][0]), node["rack"]]
    return [up + "N", address, load, str(len(node["tokens"])), owns, node["host_id"], node["rack"]]


def _status_header(has_effective, token_per_node) -> list:
    owns = "Owns (effective)" if has_effective else "Owns"
    if token_per_node:
        return ["--", "Address", "Load", owns, "Host ID", "Token", "Rack"]
    return ["--", "Address", "Load", "Tokens", owns, "Host ID", "Rack"]


def _dc_banner(ctx, dc: str) -> None:
    header = f"Datacenter: {dc}"
    ctx.println(header)
    ctx.println("=" * len(header))
    ctx.println("Status=Up/Down")
    ctx.println("|/ State=Normal/Leaving/Joining/Moving")


def _status_311(ctx, dcs, ownership, has_effective, token_per_node) -> None:
    """3.11 prints with a printf format (cassandra-behaviour.md §8.1)."""
    width = max(len(n["address"]) for nodes in dcs.values() for n in nodes)
    columns = [f"%-{width}s", "%-9s"] + ([] if token_per_node else ["%-11s"]) + \
              ["%-16s" if has_effective else "%-6s", "%-36s"] + (["%-39s"] if token_per_node else []) + ["%s"]
    fmt = "%s%s  " + "  ".join(columns) + "\n"
    for dc, nodes in dcs.items():
        _dc_banner(ctx, dc)
        header = _status_header(has_effective, token_per_node)
        ctx.out.write(fmt % tuple(["-", "-"] + header[1:]))
        for node in nodes:
            row = _status_row(ctx, node, ownership, has_effective, token_per_node)
            ctx.out.write(fmt % tuple([row[0][0], row[0][1]] + row[1:]))


def _status_40(ctx, dcs, ownership, has_effective, token_per_node) -> None:
    """4.0+ uses a TableBuilder.SharedTable("  "): widths shared by all data centers, a blank
    line between them (cassandra-behaviour.md §8.1)."""
    tables = []
    for nodes in dcs.values():
        rows = [_status_header(has_effective, token_per_node)]
        rows += [_status_row(ctx, n, ownership, has_effective, token_per_node) for n in nodes]
        tables.append(rows)
    widths = formatting.shared_widths(tables)
    for index, (dc, rows) in enumerate(zip(dcs, tables)):
        if index:
            ctx.println()
        _dc_banner(ctx, dc)
        for line in formatting.table_lines(rows, "  ", widths):
            ctx.println(line)


# --- info ---------------------------------------------------------------------------------------

def info(ctx, options, args) -> None:
    node, state = ctx.node, ctx.node.state
    active = "false" if state.get("drained") else "true"
    load = formatting.stringify_file_size(state.get("load", 0))
    uptime = max(0, (_now_ms() - state.get("started_at_ms", _now_ms())) // 1000)
    lines = [("ID", state["host_id"]), ("Gossip active", active)]
    if ctx.version.major == "3.11":
        lines.append(("Thrift active", "false"))
    lines += [("Native Transport active", active), ("Load", load)]
    if ctx.version.at_least("5.0"):
        lines.append(("Uncompressed load", load))
    lines += [
        ("Generation No", str(state.get("generation", 0))),
        ("Uptime (seconds)", str(uptime)),
        ("Heap Memory (MB)", "%.2f / %.2f" % (212.47 + (uptime % 97), 1996.0)),
        ("Off Heap Memory (MB)", "%.2f" % (0.01 * len(ctx.schema.tables))),
        ("Data Center", state["dc"]),
        ("Rack", state["rack"]),
        ("Exceptions", "0"),
        ("Key Cache", "entries 0, size 0 bytes, capacity 99 MiB, 0 hits, 0 requests, NaN recent hit rate, "
                      "14400 save period in seconds"),
        ("Row Cache", "entries 0, size 0 bytes, capacity 0 bytes, 0 hits, 0 requests, NaN recent hit rate, "
                      "0 save period in seconds"),
        ("Counter Cache", "entries 0, size 0 bytes, capacity 49 MiB, 0 hits, 0 requests, NaN recent hit rate, "
                          "7200 save period in seconds"),
        ("Chunk Cache", "entries 0, size 0 bytes, capacity 467 MiB, 0 misses, 0 requests, NaN recent hit rate, "
                        "NaN microseconds miss latency"),
    ]
    if ctx.version.at_least("4.0"):
        lines.append(("Network Cache", "size 0 bytes, overflow size: 0 bytes, capacity 128 MiB"))
    lines.append(("Percent Repaired", "100.0%"))
    tokens = ctx.ring.node(node.name)["tokens"]
    if len(tokens) == 1 or options.get("tokens"):
        lines += [("Token", str(t)) for t in tokens]
    else:
        lines.append(("Token", f"(invoke with -T/--tokens to see all {len(tokens)} tokens)"))
    if ctx.version.at_least("5.0"):
        lines += [("Bootstrap state", "COMPLETED"), ("Bootstrap failed", "false"),
                  ("Decommissioning", "false"), ("Decommission failed", "false")]
    for label, value in lines:
        ctx.println("%-23s: %s" % (label, value))
    if options.get("outOfRangeOps"):
        ctx.println("%-23s: %-48s %10s %10s %10s" % ("Invalid Token Ops", "Keyspace", "Read", "Write", "Paxos"))


def _now_ms() -> int:
    import time
    return time.time_ns() // 1_000_000


# --- describecluster ----------------------------------------------------------------------------

def describecluster(ctx, options, args) -> None:
    ring = ctx.ring
    nodes = ring.nodes
    live = [n for n in nodes if ctx.peer_is_up(n["name"])]
    down = [n for n in nodes if not ctx.peer_is_up(n["name"])]
    ctx.println("Cluster Information:")
    ctx.println(f"\tName: {ring.cluster_name}")
    ctx.println(f"\tSnitch: {ring.data['snitch']}")
    ctx.println("\tDynamicEndPointSnitch: enabled")
    ctx.println(f"\tPartitioner: {ring.data['partitioner']}")
    ctx.println("\tSchema versions:")
    with_port = ctx.print_port
    versions = {ring.schema["version"]: [_endpoint(ctx, n, with_port) for n in live]}
    if down:
        versions["UNREACHABLE"] = [_endpoint(ctx, n, with_port) for n in down]
    for schema_version, endpoints in versions.items():
        ctx.println(f"\t\t{schema_version}: {formatting.java_list(endpoints)}")
        ctx.println()
    if ctx.version.major == "3.11":
        return
    ctx.println("Stats for all nodes:")
    ctx.println(f"\tLive: {len(live)}")
    ctx.println("\tJoining: 0")
    ctx.println("\tMoving: 0")
    ctx.println("\tLeaving: 0")
    ctx.println(f"\tUnreachable: {len(down)}")
    note = None
    try:
        effective_ownership(ctx, None)
    except OwnershipUnavailable as e:
        if ctx.version.at_least("5.0"):
            note = f"Note: {e}"
        else:
            ctx.println(f"Error: {e}")  # 4.0/4.1 print it right here (cassandra-behaviour.md §8.2)
    ctx.println()
    ctx.println("Data Centers: ")
    for dc, dc_nodes in nodes_by_dc(ctx).items():
        down_count = sum(1 for n in dc_nodes if not ctx.peer_is_up(n["name"]))
        ctx.println(f"\t{dc} #Nodes: {len(dc_nodes)} #Down: {down_count}")
    ctx.println()
    ctx.println("Database versions:")
    releases = {}
    for n in nodes:
        releases.setdefault(n["release_version"], []).append(_endpoint(ctx, n, True))
    for release in sorted(releases):
        ctx.println(f"\t{release}: {formatting.java_list(releases[release])}")
        ctx.println()
    ctx.println("Keyspaces:")
    for keyspace in _describe_keyspace_order(ctx):
        replication = ctx.schema.replication(keyspace)
        options_text = ", ".join(f"{k}={v}" for k, v in sorted(replication.items()) if k != "class")
        ctx.println(f"\t{keyspace} -> Replication class: {placement.strategy_name(replication)} {{{options_text}}}")
    if note:
        ctx.println()
        ctx.println(note)


def _describe_keyspace_order(ctx) -> list:
    """Schema.getKeyspaces order: replicated system keyspaces, user keyspaces, local ones."""
    return ["system_auth", "system_distributed", "system_traces"] + ctx.schema.user_keyspace_names() + \
        ["system_schema", "system"]


# --- ring ---------------------------------------------------------------------------------------

def ring(ctx, options, args) -> None:
    keyspace = args[0] if args else None
    with_port = ctx.version.at_least("4.0")  # 4.0+ sizes the address column with ip:port
    nodes = ctx.ring.nodes
    width = max(len(_endpoint(ctx, n, with_port)) for n in nodes)
    fmt = f"%-{width}s  %-12s%-7s%-8s%-16s%-20s%-44s\n"
    errors, show_effective = "", True
    try:
        ownership = effective_ownership(ctx, keyspace)
    except OwnershipUnavailable as e:
        ownership, show_effective = {}, False
        errors = f"Note: {e}\n"
    except LookupError as e:
        ctx.out.write(f"\nError: {e.args[0]}\n")
        return
    have_vnodes = any(len(n["tokens"]) > 1 for n in nodes)
    ctx.println()
    for dc, dc_nodes in nodes_by_dc(ctx).items():
        _ring_dc(ctx, fmt, dc, dc_nodes, ownership, show_effective)
    if have_vnodes:
        ctx.println('  Warning: "nodetool ring" is used to output all the tokens of a node.')
        ctx.println('  To view status related info of a node use "nodetool status" instead.\n')
    ctx.out.write("\n  " + errors)


def _ring_dc(ctx, fmt, dc, dc_nodes, ownership, show_effective) -> None:
    ctx.println(f"Datacenter: {dc}")
    ctx.println("==========")
    entries = sorted((t, n) for n in dc_nodes for t in n["tokens"])
    ctx.out.write(fmt % ("Address", "Rack", "Status", "State", "Load", "Owns", "Token"))
    if len(entries) > 1:
        ctx.out.write(fmt % ("", "", "", "", "", "", entries[-1][0]))
    else:
        ctx.println()
    for token, node in entries:
        status = "Up" if ctx.peer_is_up(node["name"]) else "Down"
        owns = formatting.percent(ownership[node["name"]], 2) if show_effective else "?"
        ctx.out.write(fmt % (_endpoint(ctx, node, ctx.print_port), node["rack"], status, "Normal",
                             _load(ctx, node["name"]), owns, token))
    ctx.println()


# --- getendpoints -------------------------------------------------------------------------------

def getendpoints(ctx, options, args) -> None:
    if len(args) != 3:
        raise BadUse("getendpoints requires keyspace, table and partition key arguments")
    keyspace, table_name, key = args
    table = ctx.schema.table(keyspace, table_name)
    if table is None:
        raise BadUse(f"Unknown keyspace/cf pair ({keyspace}.{table_name})")
    from . import rows
    key_type = table.partition_key_types[0]
    value = int(key) if key_type in rows.INTEGER_TYPES else key
    token = rows.partition_token([key_type], [value])
    replicas = placement.TokenRing(ctx.ring.nodes).replicas(token, ctx.schema.replication(keyspace), ctx.node.name)
    for name in replicas:
        ctx.println(_endpoint(ctx, ctx.ring.node(name), ctx.print_port))


# --- datapaths ----------------------------------------------------------------------------------

def datapaths(ctx, options, args) -> None:
    output_format = options.get("format", "")
    if output_format not in ("", "json", "yaml"):
        raise BadUse("arguments for -F are yaml and json only.")
    paths = {}
    for table in ctx.schema.tables:
        if args and f"{table.keyspace}.{table.name}" not in args and table.keyspace not in args:
            continue
        dirs = [os.path.realpath(d) for d in ctx.node.table_dirs(table)]
        paths.setdefault(table.keyspace, {})[table.name] = dirs
    if output_format == "json":
        ctx.println(formatting.jackson_pretty(paths))
    elif output_format == "yaml":
        ctx.println(_yaml_block(paths))
    else:
        for keyspace, tables in paths.items():
            ctx.println(f"Keyspace: {keyspace}")
            for name, dirs in tables.items():
                ctx.println(f"\tTable: {name}")
                ctx.println("\tPaths:")
                for d in dirs:
                    ctx.println(f"\t\t{d}")
                ctx.println("")


def _yaml_block(paths: dict) -> str:
    lines = []
    for keyspace, tables in paths.items():
        lines.append(f"{keyspace}:")
        for name, dirs in tables.items():
            lines.append(f"  {name}:")
            lines += [f"  - {d}" for d in dirs]
    return "\n".join(lines) + "\n"

