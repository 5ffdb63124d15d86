"""Where data lives: the token ring, replica placement per replication strategy, and the
effective ownership nodetool status/ring print (StorageService.getEffectiveOwnership).

Ownership of a 32-node 3.11 ring (8192 vnodes) costs ~100 ms to compute, more than a nodetool
call may take, so results are cached in DIR/sim-cache/ keyed by a digest of the ring and the
replication settings.
"""

import bisect
import os

from . import jsonlite
from .layout import read_json, write_json

RING_SIZE = 1 << 64

LOCAL = "LocalStrategy"
SIMPLE = "SimpleStrategy"
NTS = "NetworkTopologyStrategy"


def strategy_name(replication: dict) -> str:
    return replication["class"].rsplit(".", 1)[-1]


def same_settings(a: dict, b: dict) -> bool:
    """AbstractReplicationStrategy.hasSameSettings: same class and options."""
    return strategy_name(a) == strategy_name(b) and \
        {k: v for k, v in a.items() if k != "class"} == {k: v for k, v in b.items() if k != "class"}


class TokenRing:
    """The sorted tokens of the cluster and the node owning each (all nodes, up or down: a
    down node keeps its tokens)."""

    def __init__(self, nodes: list):
        pairs = sorted((int(t), n["name"]) for n in nodes for t in n["tokens"])
        self.tokens = [t for t, _ in pairs]
        self.owners = [name for _, name in pairs]
        self.dc_of = {n["name"]: n["dc"] for n in nodes}
        self.rack_of = {n["name"]: n["rack"] for n in nodes}
        self.nodes_in_dc = {}
        self.racks_in_dc = {}
        for n in nodes:
            self.nodes_in_dc.setdefault(n["dc"], set()).add(n["name"])
            self.racks_in_dc.setdefault(n["dc"], set()).add(n["rack"])

    def first_index(self, token: int) -> int:
        """Index of the token owning `token`: the first ring token >= it, wrapping around."""
        i = bisect.bisect_left(self.tokens, token)
        return 0 if i == len(self.tokens) else i

    def replicas(self, token: int, replication: dict, local_node: str = None) -> list:
        """Names of the replicas of `token`, primary first."""
        return self.replicas_at(self.first_index(token), replication, local_node)

    def replicas_at(self, index: int, replication: dict, local_node: str = None) -> list:
        strategy = strategy_name(replication)
        if strategy == LOCAL:
            return [local_node] if local_node else []
        if strategy == SIMPLE:
            return self._simple(index, int(replication.get("replication_factor", 1)))
        if strategy == NTS:
            return self._network_topology(index, replication)
        raise ValueError(f"unsupported replication strategy {replication['class']}")

    def _walk(self, start: int):
        """Owners clockwise from `start`, the whole ring once (lazily: walks stop early)."""
        owners = self.owners
        count = len(owners)
        for index in range(start, start + count):
            yield owners[index - count if index >= count else index]

    def _simple(self, start: int, factor: int) -> list:
        chosen = []
        factor = min(factor, len(self.dc_of))
        for owner in self._walk(start):
            if owner not in chosen:
                chosen.append(owner)
                if len(chosen) == factor:
                    break
        return chosen

    def _network_topology(self, start: int, replication: dict) -> list:
        """NetworkTopologyStrategy: per data center, walk the ring taking nodes of racks not
        seen yet; once every rack of the DC is used, take the skipped nodes in ring order."""
        wanted = {}
        for dc, factor in replication.items():
            if dc != "class" and dc in self.nodes_in_dc:
                wanted[dc] = min(int(factor), len(self.nodes_in_dc[dc]))
        chosen, per_dc, seen_racks, skipped = [], {}, {}, {}
        remaining = sum(wanted.values())
        dc_of, rack_of, racks_in_dc = self.dc_of, self.rack_of, self.racks_in_dc
        for owner in self._walk(start):
            if remaining == 0:
                break
            dc = dc_of[owner]
            if dc not in wanted or per_dc.get(dc, 0) >= wanted[dc] or owner in chosen:
                continue
            racks = seen_racks.setdefault(dc, set())
            all_racks = len(racks_in_dc[dc])
            if len(racks) < all_racks and rack_of[owner] in racks:
                if owner not in skipped.setdefault(dc, []):
                    skipped[dc].append(owner)
                continue
            racks.add(rack_of[owner])
            chosen.append(owner)
            per_dc[dc] = per_dc.get(dc, 0) + 1
            remaining -= 1
            if len(racks) == all_racks:
                for extra in skipped.pop(dc, []):
                    if per_dc[dc] < wanted[dc] and extra not in chosen:
                        chosen.append(extra)
                        per_dc[dc] += 1
                        remaining -= 1
        return chosen

    def owned_ranges(self, node: str, replication: dict):
        """(left, right] token ranges for which `node` is a replica (import token checks)."""
        ranges = []
        for i, right in enumerate(self.tokens):
            if node in self.replicas_at(i, replication, node):
                ranges.append((self.tokens[i - 1], right))
        return ranges

    def effective_ownership(self, replication: dict) -> dict:
        """{node: fraction of the ring it holds a replica of} (values of one DC sum to its RF)."""
        shares = {name: 0 for name in self.dc_of}
        count = len(self.tokens)
        for i in range(count):
            width = (self.tokens[i] - self.tokens[i - 1]) % RING_SIZE if count > 1 else RING_SIZE
            width = width or RING_SIZE
            for owner in self.replicas_at(i, replication):
                shares[owner] += width
        return {name: share / RING_SIZE for name, share in shares.items()}


def token_in_ranges(token: int, ranges) -> bool:
    for left, right in ranges:
        if left < right:
            if left < token <= right:
                return True
        elif token > left or token <= right:  # wrapping range (or the whole ring)
            return True
    return False


def cached_effective_ownership(cache_dir: str, nodes: list, replication: dict) -> dict:
    key_source = jsonlite.dumps([[n["name"], n["dc"], n["rack"], n["tokens"]] for n in nodes] +
                            [sorted(replication.items())])
    from .versions import md5_digest
    key = md5_digest(key_source.encode()).hex()
    path = os.path.join(cache_dir, f"ownership-{key}.json")
    cached = read_json(path)
    if cached is not None:
        return cached
    result = TokenRing(nodes).effective_ownership(replication)
    os.makedirs(cache_dir, exist_ok=True)
    write_json(path, result)
    return result
