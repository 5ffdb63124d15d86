# SPDX-License-Identifier: Apache-2.0
"""What runs on this machine, read from /proc, and how to stop a set of processes.

A lab must leave nothing behind, and its processes do not form one tidy tree: sshd gives every
connection its own session, a killed listener's connection processes are re-parented to init, and
a remote `cmd &` outlives its shell. So a lab's processes are found three ways (see
ProcessTable.find): their command line names a lab path (an sshd listener keeps its `-f CONFIG`
in its process title), their HOME is a node home (sshd's SetEnv gives every SSH session one, and
plain commands do not rewrite their environment), and they descend from such a process (a
connection's `sshd: user@notty` process has rewritten its command line and environment).
"""

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

_DEAD_STATES = ("Z", "X", "x")  # zombie or dead: gone for our purposes, only not yet reaped
_STOPPED_STATES = ("T", "t")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    state: str
    start_time: int  # clock ticks after boot; tells a pid's owner from a later reuse of the pid

    @property
    def alive(self) -> bool:
        return self.state not in _DEAD_STATES

    @property
    def stopped(self) -> bool:
        return self.state in _STOPPED_STATES


def process_info(pid: int) -> ProcessInfo | None:
    """The process `pid` as /proc/<pid>/stat shows it, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses; the fields after its last ')'
    # are fixed: state, ppid, ... with starttime as field 22 of the whole line.
    fields = text[text.rindex(")") + 2:].split()
    return ProcessInfo(pid=pid, ppid=int(fields[1]), state=fields[0], start_time=int(fields[19]))


def is_running(pid: int | None, start_time: int | None = None) -> bool:
    """True when `pid` is a live process (and, when given, the one started at `start_time`)."""
    if not pid:
        return False
    info = process_info(pid)
    if info is None or not info.alive:
        return False
    return start_time is None or info.start_time == start_time


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:  # gone, or another user's environment
        return b""


def _mentions(path: str) -> re.Pattern:
    """A pattern for `path` as a whole path or a path prefix, so /tmp/lab-1 does not match
    /tmp/lab-12."""
    return re.compile(re.escape(path) + r"(?![\w.-])")


def _home_of(environ: bytes) -> str | None:
    """HOME from the NUL-separated contents of /proc/<pid>/environ (searched, not split: some
    environments are long, and `down` scans every process a few times)."""
    if environ.startswith(b"HOME="):
        start = len(b"HOME=")
    else:
        found = environ.find(b"\0HOME=")
        if found < 0:
            return None
        start = found + len(b"\0HOME=")
    end = environ.find(b"\0", start)
    return environ[start:end if end >= 0 else len(environ)].decode(errors="replace")


def _is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def own_lineage() -> set[int]:
    """This process and its ancestors: never a lab's processes, even when they name the lab
    (`lab down --dir X` does, and so may the shell or test runner that started it)."""
    lineage = set()
    pid = os.getpid()
    while pid > 1 and pid not in lineage:
        lineage.add(pid)
        info = process_info(pid)
        if info is None:
            break
        pid = info.ppid
    return lineage


class ProcessTable:
    """A snapshot of the live processes, to search several times without re-reading /proc."""

    def __init__(self):
        self.processes: dict[int, ProcessInfo] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                info = process_info(int(entry))
                if info is not None and info.alive:
                    self.processes[info.pid] = info
        self._cmdlines: dict[int, str] = {}
        self._homes: dict[int, str | None] = {}

    def cmdline(self, pid: int) -> str:
        if pid not in self._cmdlines:
            raw = _read_bytes(f"/proc/{pid}/cmdline")
            self._cmdlines[pid] = raw.replace(b"\0", b" ").decode(errors="replace")
        return self._cmdlines[pid]

    def home(self, pid: int) -> str | None:
        if pid not in self._homes:
            self._homes[pid] = _home_of(_read_bytes(f"/proc/{pid}/environ"))
        return self._homes[pid]

    def descendants(self, roots: set[int]) -> set[int]:
        children: dict[int, list[int]] = {}
        for info in self.processes.values():
            children.setdefault(info.ppid, []).append(info.pid)
        found, pending = set(), list(roots)
        while pending:
            for child in children.get(pending.pop(), []):
                if child not in found:
                    found.add(child)
                    pending.append(child)
        return found

    def find(self, named_paths: list[str], home_roots: list[str]) -> set[int]:
        """Processes whose command line names one of `named_paths`, or whose HOME lies under one
        of `home_roots`, and all their descendants; never this process or its ancestors."""
        patterns = [_mentions(path) for path in named_paths]
        excluded = own_lineage() | {1}
        roots = set()
        for pid in self.processes:
            if pid in excluded:
                continue
            if any(p.search(self.cmdline(pid)) for p in patterns):
                roots.add(pid)
                continue
            home = self.home(pid)
            if home and any(_is_under(home, root) for root in home_roots):
                roots.add(pid)
        return (roots | self.descendants(roots)) - excluded


def send_signal(pids: set[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _reap_if_child(pid: int) -> None:
    """Collect `pid`'s exit status if it is our child, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_gone(pids: set[int], timeout: float) -> set[int]:
    """Wait until every process in `pids` has ended; return those still running at `timeout`."""
    deadline = time.monotonic() + timeout
    remaining = set(pids)
    while True:
        for pid in remaining:
            _reap_if_child(pid)
        remaining = {pid for pid in remaining if is_running(pid)}
        if not remaining or time.monotonic() >= deadline:
            return remaining
        time.sleep(0.01)


def hold_still(find: Callable[[], set[int]], rounds: int = 5) -> set[int]:
    """SIGSTOP the processes `find()` returns, and look again until nothing new shows up.

    A process that is being killed may fork meanwhile (an sshd listener accepting a connection,
    a session starting a command), and its child could escape a single scan. Stopped processes
    do not fork, so once a scan finds nothing new, the set is complete.
    """
    held: set[int] = set()
    for _ in range(rounds):
        new = find() - held
        if not new:
            break
        send_signal(new, signal.SIGSTOP)
        held |= new
    return held


def terminate(pids: set[int], grace: float = 2.0) -> set[int]:
    """SIGTERM `pids`, SIGKILL whatever survives `grace` seconds; return any that still run.

    SIGCONT follows SIGTERM because a stopped (frozen) process only acts on SIGTERM once it runs.
    """
    send_signal(pids, signal.SIGTERM)
    send_signal(pids, signal.SIGCONT)
    survivors = wait_gone(pids, grace)
    if survivors:
        send_signal(survivors, signal.SIGKILL)
        survivors = wait_gone(survivors, grace)
    return survivors


def kill_now(pids: set[int]) -> set[int]:
    """SIGKILL `pids` (a host that crashes gives its processes no chance to clean up)."""
    send_signal(pids, signal.SIGKILL)
    return wait_gone(pids, 2.0)


def boot_id() -> str:
    """Identifies this boot: a lab recorded under another boot has no live process."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""
