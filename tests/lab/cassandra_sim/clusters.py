"""Other clusters on this machine: which lab owns an address.

A client tool such as sstableloader may be pointed at a node of another cluster (a backup of lab A
restored into a scratch lab B, with the loader run on A's nodes). Every lab the launcher starts
claims an index in /tmp/ringsnap-labs/lab-<index>.json, naming its directory (../README.md,
"Node addresses"; tests/lab/labkit/registry.py writes them). An address belongs to the lab whose
ring.json lists it. The tool's own lab is asked first, so throw-away labs of the simulator tests
(never registered) still find their own nodes.

Claims of an earlier boot are stale (their labs died with the machine) and are skipped; so are
directories that are gone or that this user may not read. A claim left behind by a lab whose
processes died without `lab down` still counts: its nodes are up or down as their node.json says.
"""

import os

from .layout import LabDir, read_json
from .ring import Ring

REGISTRY_DIR = "/tmp/ringsnap-labs"  # labkit/registry.py REGISTRY_DIR
_BOOT_ID = "/proc/sys/kernel/random/boot_id"


class Found:
    """A node of some lab: that lab's directory and ring, the node's ring.json entry."""

    def __init__(self, lab: LabDir, ring: Ring, entry: dict):
        self.lab, self.ring, self.entry = lab, ring, entry

    @property
    def home(self):
        return self.lab.node_home(self.entry["name"])


def _boot_id() -> str:
    try:
        with open(_BOOT_ID) as f:
            return f.read().strip()
    except OSError:
        return ""


def registered_labs() -> list:
    """Directories of the labs claimed in the registry during this boot, by index."""
    try:
        names = os.listdir(REGISTRY_DIR)
    except OSError:
        return []
    boot, found = _boot_id(), []
    for name in names:
        if not (name.startswith("lab-") and name.endswith(".json")):
            continue
        try:
            claim = read_json(os.path.join(REGISTRY_DIR, name))
            index, directory = int(claim["index"]), str(claim["dir"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if boot and claim.get("boot_id") and claim["boot_id"] != boot:
            continue
        found.append((index, directory))
    return [directory for _, directory in sorted(found)]


def _ring(lab: LabDir):
    try:
        return Ring.load(lab)
    except (OSError, ValueError):
        return None


def find(address: str, own: LabDir):
    """The lab node listening on `address`: the own lab first, then every registered lab."""
    seen = set()
    for lab in [own] + [LabDir(d) for d in registered_labs()]:
        key = os.path.realpath(lab.root)
        if key in seen:
            continue
        seen.add(key)
        ring = _ring(lab)
        entry = ring.node_by_address(address) if ring else None
        if entry is not None:
            return Found(lab, ring, entry)
    return None
