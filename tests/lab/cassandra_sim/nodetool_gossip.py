"""nodetool gossipinfo: every endpoint of the ring as the gossiper of the node running it sees
them (FailureDetector.getAllEndpointStates).

Output per endpoint, in the order of the observer's endpoint map (a ConcurrentHashMap keyed by
the endpoint address), then a blank line (the text ends in a newline and println adds one):

    /127.31.1.11                 (-pp: /127.31.1.11:7000; 4.1+ -r: the host name, no slash)
      generation:1737140813
      heartbeat:47
      STATUS:23:NORMAL,-1058145774692920768     <- state:version:value, ApplicationState order
      ...
      TOKENS:21:<hidden>                        <- always last; "  TOKENS: not present" if absent

What is derived from the lab and what is made up:
- Values come from ring.json and the nodes' node.json/cassandra.yaml: address, host id, DC, rack,
  release, schema version, load, tokens (hidden), the generation (start time in seconds).
- State versions: one counter per node incarnation, shared by heartbeats and states. The states
  published at start-up take the numbers real 3.11.17 and 4.1.7 nodes were seen to use; after
  start-up the heartbeat takes a new version every second and LOAD is re-published (with a new
  version) every 60 seconds, so values grow over time and agree between calls.
- A node whose gossip stopped (node.json `gossip_stop`): after a drain or a graceful stop the
  node announced its shutdown, and every node that was gossiping then marked it (STATUS
  shutdown,true, RPC_READY false with the receiver's next versions, heartbeat 2147483647; 5.0
  nodes both on messaging version 13 store the sender's own final state instead); after a crash
  the peers keep its last state with the heartbeat frozen. A node started after a peer went down
  only knows that peer as a saved endpoint (generation 0, heartbeat 0, no states) unless a live
  node that saw the peer go down relays its state.
- 4.0+ observers drop a peer's legacy STATUS, INTERNAL_IP and RPC_ADDRESS (not their own) unless
  a 3.x node (not shut down) or a node of unknown version is in their view; 3.11 observers name
  the 4.0+ states by their own enum (X1, X2, X3).
"""

import time

from .layout import NodeHome
from .node_state import Node

STORAGE_PORT = 7000
NATIVE_PORT = 9042
MAX_VERSION = 2147483647  # HeartBeatState.forceHighestPossibleVersionUnsafe

# ApplicationState ordinals: the ordinal is what travels between nodes, the name is the observer's.
(STATUS, LOAD, SCHEMA, DC, RACK, RELEASE_VERSION, REMOVAL_COORDINATOR, INTERNAL_IP, RPC_ADDRESS,
 X_11_PADDING, SEVERITY, NET_VERSION, HOST_ID, TOKENS, RPC_READY, INTERNAL_ADDRESS_AND_PORT,
 NATIVE_ADDRESS_AND_PORT, STATUS_WITH_PORT, SSTABLE_VERSIONS) = range(19)

_COMMON_NAMES = ["STATUS", "LOAD", "SCHEMA", "DC", "RACK", "RELEASE_VERSION", "REMOVAL_COORDINATOR",
                 "INTERNAL_IP", "RPC_ADDRESS", "X_11_PADDING", "SEVERITY", "NET_VERSION", "HOST_ID",
                 "TOKENS", "RPC_READY"]
_NAMES = {
    "3.11": _COMMON_NAMES + ["X1", "X2", "X3", "SSTABLE_VERSIONS", "X5", "X6", "X7", "X8", "X9", "X10"],
    "4.0": _COMMON_NAMES + ["INTERNAL_ADDRESS_AND_PORT", "NATIVE_ADDRESS_AND_PORT", "STATUS_WITH_PORT",
                            "SSTABLE_VERSIONS"] + [f"X{i}" for i in range(1, 11)],
    "4.1": _COMMON_NAMES + ["INTERNAL_ADDRESS_AND_PORT", "NATIVE_ADDRESS_AND_PORT", "STATUS_WITH_PORT",
                            "SSTABLE_VERSIONS", "DISK_USAGE"] + [f"X{i}" for i in range(1, 11)],
    "5.0": _COMMON_NAMES + ["INTERNAL_ADDRESS_AND_PORT", "NATIVE_ADDRESS_AND_PORT", "STATUS_WITH_PORT",
                            "SSTABLE_VERSIONS", "DISK_USAGE", "INDEX_STATUS"] + [f"X{i}" for i in range(1, 11)],
}

# Legacy state -> its 4.0 replacement (EndpointState.removeMajorVersion3LegacyApplicationStates).
_LEGACY = {STATUS: STATUS_WITH_PORT, INTERNAL_IP: INTERNAL_ADDRESS_AND_PORT, RPC_ADDRESS: NATIVE_ADDRESS_AND_PORT}

# Versions of what a node publishes while it starts, as real nodes numbered them (3.11.17 and
# 4.1.7 captures; the 4.x numbers missing there fill the gaps in the order StorageService and
# GossipingPropertyFileSnitch publish). The heartbeat goes on from RPC_READY + 1.
_STARTUP = {
    "3.11": {NET_VERSION: 1, HOST_ID: 2, RPC_ADDRESS: 3, RELEASE_VERSION: 4, SSTABLE_VERSIONS: 5, INTERNAL_IP: 7,
             DC: 9, RACK: 11, SCHEMA: 15, TOKENS: 18, STATUS: 19, LOAD: 23, RPC_READY: 32},
    "4.0": {NET_VERSION: 2, HOST_ID: 3, NATIVE_ADDRESS_AND_PORT: 4, RPC_ADDRESS: 5, RELEASE_VERSION: 6,
            SSTABLE_VERSIONS: 7, INTERNAL_ADDRESS_AND_PORT: 9, INTERNAL_IP: 10, DC: 13, RACK: 15, SCHEMA: 17,
            TOKENS: 21, STATUS_WITH_PORT: 22, STATUS: 23, LOAD: 26, RPC_READY: 34},
}
LOAD_INTERVAL_S = 60  # LoadBroadcaster
SHUTDOWN = "shutdown,true"


def java_double_text(value) -> str:
    """Double.toString of a whole number: `92576.0` below 10^7, `7.340546332E9` from there."""
    number = int(value)
    if number < 0:
        return "-" + java_double_text(-number)
    if number < 10_000_000:
        return f"{number}.0"
    digits = str(number)
    significant = digits.rstrip("0")
    return f"{significant[0]}.{significant[1:] or '0'}E{len(digits) - 1}"


def java_hash_order(keyed) -> list:
    """Iteration order of a `new ConcurrentHashMap<>()` after putting (hash, key) pairs in this
    order: bins by spread hash, each bin in insertion order, and a resize (from 16 bins, once
    the size reaches 3/4 of them) split as ConcurrentHashMap.transfer splits them (the run at
    a bin's tail keeps its order, the nodes before it are prepended). Bins are never treeified
    (that takes 8 keys in one bin)."""
    n, size = 16, 0
    table = [[] for _ in range(n)]
    for h, key in keyed:
        h &= 0xFFFFFFFF
        spread = (h ^ (h >> 16)) & 0x7FFFFFFF
        table[spread & (n - 1)].append((spread, key))
        size += 1
        if size >= n - (n >> 2):
            table = _transfer(table, n)
            n *= 2
    return [key for bin_ in table for _, key in bin_]


def _transfer(table, n) -> list:
    bigger = [[] for _ in range(2 * n)]
    for i, bin_ in enumerate(table):
        if not bin_:
            continue
        run_bit, last_run = bin_[0][0] & n, 0
        for j in range(1, len(bin_)):
            bit = bin_[j][0] & n
            if bit != run_bit:
                run_bit, last_run = bit, j
        low, high = (bin_[last_run:], []) if run_bit == 0 else ([], bin_[last_run:])
        for node in bin_[:last_run]:
            if node[0] & n == 0:
                low = [node] + low
            else:
                high = [node] + high
        bigger[i], bigger[i + n] = low, high
    return bigger


def _ipv4(address: str) -> int:
    a, b, c, d = (int(p) for p in address.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def endpoint_hash(line: str, address: str) -> int:
    """hashCode of the endpoint map's key: 3.11 Inet4Address (the address), 4.0
    InetAddressAndPort (31 * address + port), 4.1+ InetSocketAddress (address + port)."""
    ip = _ipv4(address)
    if line == "3.11":
        return ip
    if line == "4.0":
        return (31 * ip + STORAGE_PORT) & 0xFFFFFFFF
    return (ip + STORAGE_PORT) & 0xFFFFFFFF


class Member:
    """One node's current incarnation: what it publishes and when its gossip stopped."""

    def __init__(self, node: Node, entry: dict, schema: dict):
        self.node = node
        self.name = entry["name"]
        self.address = entry["address"]
        self.entry = entry
        self.version = node.version
        self.line = self.version.major
        self.old = self.line == "3.11"
        self.startup = _STARTUP["3.11" if self.old else "4.0"]
        self.base = self.startup[RPC_READY] + 1
        state = node.state
        self.start = state.get("started_at_ms", 0)
        self.generation = state.get("generation", self.start // 1000)
        if node.running and not state.get("drained"):
            self.end, self.how = None, None
        else:
            self.end = state.get("gossip_stopped_at_ms", self.start)
            self.how = state.get("gossip_stop", "killed")
        self.schema = schema

    # --- the version counter --------------------------------------------------------------------
    def _elapsed(self, at_ms: int) -> int:
        return max(0, (at_ms - self.start) // 1000)

    def heartbeat(self, at_ms: int) -> int:
        elapsed = self._elapsed(at_ms)
        return self.base + elapsed + elapsed // LOAD_INTERVAL_S

    def _load_version(self, at_ms: int) -> int:
        broadcasts = self._elapsed(at_ms) // LOAD_INTERVAL_S
        return self.startup[LOAD] if broadcasts == 0 else self.base + (LOAD_INTERVAL_S + 1) * broadcasts - 1

    # --- what the node publishes ----------------------------------------------------------------
    @property
    def net_version(self) -> str:
        return str(self.version.messaging_version(self.node.settings))

    @property
    def sstable_versions(self):
        """format-version of what the node writes; 3.11 publishes it from 3.11.11 on."""
        if self.old and self.version.patch < 11:
            return None
        version, fmt = self.node.sstable_format
        return f"{fmt}-{version}"

    def published(self, at_ms: int) -> dict:
        """{ordinal: (version, value)} the node holds for itself at that time, while gossiping."""
        numbers = self.startup
        values = {NET_VERSION: self.net_version, HOST_ID: self.entry["host_id"], RPC_ADDRESS: self.address,
                  RELEASE_VERSION: self.entry["release_version"], SSTABLE_VERSIONS: self.sstable_versions,
                  INTERNAL_IP: self.address, DC: self.entry["dc"], RACK: self.entry["rack"],
                  SCHEMA: self.schema["version"], TOKENS: "<hidden>", RPC_READY: "true"}
        # StorageService.setTokens: NORMAL with the first token of the saved (text-ordered) set
        normal = "NORMAL," + min(str(t) for t in self.entry["tokens"])
        values[STATUS] = normal
        if not self.old:
            values.update({NATIVE_ADDRESS_AND_PORT: f"{self.address}:{NATIVE_PORT}",
                           INTERNAL_ADDRESS_AND_PORT: f"{self.address}:{STORAGE_PORT}", STATUS_WITH_PORT: normal})
        states = {key: (numbers[key], value) for key, value in values.items() if value is not None}
        changed = self.schema.get("changed_at_ms", 0)
        if self.start < changed <= at_ms:
            states[SCHEMA] = (self.heartbeat(changed), values[SCHEMA])
        states[LOAD] = (self._load_version(at_ms), java_double_text(self.node.state.get("load", 0)))
        return states

    def final(self) -> dict:
        """Its own states once drained or shut down: RPC_READY false, then Gossiper.stop's
        STATUS_WITH_PORT and STATUS shutdown,true."""
        states = self.published(self.end)
        version = self.heartbeat(self.end)
        states[RPC_READY] = (version + 1, "false")
        if not self.old:
            version += 1
            states[STATUS_WITH_PORT] = (version + 1, SHUTDOWN)
        states[STATUS] = (version + 2, SHUTDOWN)
        return states


class Entry:
    def __init__(self, generation: int, heartbeat: int, states: dict):
        self.generation = generation
        self.heartbeat = heartbeat
        self.states = states


class View:
    """The endpoint states one node holds."""

    def __init__(self, observer: Member, members: list, now_ms: int):
        self.observer = observer
        self.members = members
        self.now = now_ms
        # gossip stops at a drain: from then on the node hears nothing new
        self.time = now_ms if observer.end is None else observer.end
        self.drops_legacy = not observer.old and not self._legacy_needed()

    def _down(self, member: Member) -> bool:
        return member.end is not None and member.end <= self.time

    def _saved(self, member: Member) -> bool:
        return member is not self.observer and self._down(member) and self.observer.start > member.end and \
            self._relay(member) is None

    def _legacy_needed(self) -> bool:
        """Gossiper.hasMajorVersion3OrUnknownNodes: a 3.x node not in a dead (shutdown) state,
        or a node of unknown release (a saved endpoint)."""
        return any((m.old and not (self._down(m) and m.how == "shutdown")) or self._saved(m) for m in self.members)

    def _filtered(self, states: dict) -> dict:
        """What applyStateLocally keeps of a peer's states: without the legacy states whose
        replacement is there, once the node knows no 3.x node."""
        if not self.drops_legacy:
            return states
        return {key: value for key, value in states.items() if _LEGACY.get(key) not in states}

    def entry(self, member: Member):
        """The member's Entry, or None for a saved endpoint."""
        observer = self.observer
        if member is observer:
            if observer.end is None:
                return Entry(member.generation, member.heartbeat(self.now), member.published(self.now))
            return Entry(member.generation, member.heartbeat(member.end), member.final())
        if not self._down(member):
            at = max(member.start, self.time)
            return Entry(member.generation, member.heartbeat(at), self._filtered(member.published(at)))
        if observer.start <= member.end:
            return self._down_entry(member)
        relay = self._relay(member)
        if relay is None:
            return None
        relayed = View(relay, self.members, self.now)._down_entry(member)
        return Entry(relayed.generation, relayed.heartbeat, self._filtered(relayed.states))

    def _relay(self, member: Member):
        """A node gossiping with the observer that saw `member` go down."""
        for other in self.members:
            if other is member or other is self.observer:
                continue
            if other.start <= member.end and (other.end is None or other.end > max(member.end, self.observer.start)):
                return other
        return None

    def _down_entry(self, member: Member) -> Entry:
        """A member whose gossip stopped while this view's node was gossiping."""
        if member.how != "shutdown":  # killed: the last state, heartbeat frozen
            return Entry(member.generation, member.heartbeat(member.end), self._filtered(member.published(member.end)))
        if member.net_version == "13" and self.observer.net_version == "13":  # 5.0 GossipShutdown with state
            return Entry(member.generation, MAX_VERSION, member.final())
        # Gossiper.markAsShutdown, with the receiver's next versions
        states = self._filtered(member.published(member.end))
        version = self.observer.heartbeat(member.end) + 1
        if not self.observer.old:
            states[STATUS_WITH_PORT] = (version, SHUTDOWN)
            version += 1
        states[STATUS] = (version, SHUTDOWN)
        states[RPC_READY] = (version + 1, "false")
        return Entry(member.generation, MAX_VERSION, states)


def _host_names() -> dict:
    """address -> first name in /etc/hosts (what a reverse lookup through `files` answers)."""
    names = {}
    try:
        with open("/etc/hosts") as f:
            for line in f:
                words = line.split("#", 1)[0].split()
                if len(words) >= 2:
                    names.setdefault(words[0], words[1])
    except OSError:
        pass
    return names


def gossipinfo(ctx, options, args) -> None:
    lab = ctx.node.home.lab
    now = time.time_ns() // 1_000_000
    ring = ctx.ring
    members = []
    for entry in ring.nodes:
        node = ctx.node if entry["name"] == ctx.node.name else Node(NodeHome(lab.node_home(entry["name"]).root))
        members.append(Member(node, entry, ring.schema))
    observer = next(m for m in members if m.name == ctx.node.name)
    view = View(observer, members, now)
    # endpoint map insertion: the node itself first (Gossiper.start), then the peers in ring order
    order = [observer] + [m for m in members if m is not observer]
    order = java_hash_order((endpoint_hash(observer.line, m.address), m) for m in order)
    names = _NAMES[observer.line]
    resolve = options.get("resolve_ip")
    hosts = _host_names() if resolve else {}
    text = []
    for member in order:
        address = hosts.get(member.address, member.address) if resolve else "/" + member.address
        if ctx.print_port:
            address += f":{STORAGE_PORT}"
        text.append(address)
        entry = view.entry(member) or Entry(0, 0, {})  # a saved endpoint: HeartBeatState.empty()
        text.append(f"  generation:{entry.generation}")
        text.append(f"  heartbeat:{entry.heartbeat}")
        for ordinal in sorted(entry.states):
            if ordinal != TOKENS:
                version, value = entry.states[ordinal]
                text.append(f"  {names[ordinal]}:{version}:{value}")
        if TOKENS in entry.states:
            text.append(f"  TOKENS:{entry.states[TOKENS][0]}:<hidden>")
        else:
            text.append("  TOKENS: not present")
    ctx.println("\n".join(text) + "\n")
