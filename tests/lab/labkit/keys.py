# SPDX-License-Identifier: Apache-2.0
"""SSH keys of a lab: the operator's client key, one host key per node, and the files that tie
them together (authorized_keys on the nodes, known_hosts for the client).

Only ed25519: it is what OpenSSH and libssh 0.10 both handle, and ssh-keygen makes one in a few
milliseconds, so even a 64-node lab spends little time here.
"""

import subprocess
from pathlib import Path

from . import LabError


def generate(key_path: Path, comment: str) -> None:
    """Create an ed25519 key pair without passphrase at `key_path` (and `key_path`.pub)."""
    result = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key_path)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise LabError(f"ssh-keygen failed for {key_path}: {result.stderr.strip()}")


def public_key(key_path: Path) -> str:
    """`<type> <base64>` of the key pair at `key_path`, without its comment."""
    fields = Path(f"{key_path}.pub").read_text().split()
    return f"{fields[0]} {fields[1]}"


def known_hosts_line(address: str, port: int, host_public_key: str) -> str:
    # OpenSSH and libssh look a host up as `[addr]:port` unless the port is the default one.
    host = address if port == 22 else f"[{address}]:{port}"
    return f"{host} {host_public_key}"
