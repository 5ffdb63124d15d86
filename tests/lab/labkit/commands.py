# SPDX-License-Identifier: Apache-2.0
"""One function per `lab` subcommand; cli.py parses the arguments and calls these.

Messages for people go to stderr; stdout carries what a script may want to read (the lab
directory from `up`, the table of `status`, the lines of `env`).
"""

import datetime
import json
import os
import pwd
import shlex
import shutil
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import (LabError, archive_store, clusterfile, keys, procs, registry, simulator, sshd,
               state)
from .layout import (MAX_INDEX, SUPPORTED_VERSIONS, MAX_DATACENTERS, MAX_NODES_PER_DC, Node,
                     NodePaths, default_dir, default_port, is_supported_version, node_address,
                     plan_nodes)
from .state import LabState


def note(message: str) -> None:
    print(f"lab: {message}", file=sys.stderr, flush=True)


def _parallel(function, items: list, workers: int) -> list:
    """`function` over `items` on a thread pool; the first exception is raised after all end."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(function, items))


def canonical(path: str | Path) -> Path:
    """The absolute, symlink-free form of a lab path: processes are recognised by the lab path
    in their command line, so every file the lab writes must spell it the same way."""
    return Path(os.path.realpath(os.path.expanduser(str(path))))


# --- Which labs run ---------------------------------------------------------------------------

def lab_processes(lab_dir: Path, table: procs.ProcessTable) -> set[int]:
    """The sshds of the lab in `lab_dir`, their connections and sessions, its archive servers,
    and anything else running on its behalf (see procs.py for how they are recognised)."""
    found = table.find([str(lab_dir)], [str(lab_dir)])
    # Archive servers name the lab directory too; their recorded pids are the second net.
    servers = archive_store.recorded_servers(lab_dir) - procs.own_lineage()
    return found | servers | table.descendants(servers)


def node_processes(paths: NodePaths, table: procs.ProcessTable) -> set[int]:
    """Everything running "on" one node's host: its sshd, connections and SSH sessions."""
    return table.find([str(paths.sshd)], [str(paths.home)])


def lab_is_live(lab_dir: Path, table: procs.ProcessTable, index: int | None = None) -> bool:
    """A lab runs while any of its processes does, or while `kill-host` keeps its hosts down."""
    if lab_processes(lab_dir, table):
        return True
    lab = state.try_load(lab_dir)
    if lab is None or (index is not None and lab.index != index):
        return False
    return lab.boot_id == procs.boot_id() and any(n.host == "killed" for n in lab.nodes)


def claim_is_live(claim: registry.Claim, table: procs.ProcessTable) -> bool:
    if claim.boot_id != procs.boot_id():
        return False  # recorded before a reboot: nothing of it survives
    if procs.is_running(claim.owner_pid, claim.owner_start_time):
        return True  # its `lab up` is still at work
    return lab_is_live(claim.dir, table, claim.index)


def running_labs() -> list[registry.Claim]:
    """The running labs this user started."""
    table = procs.ProcessTable()
    return [claim for claim in registry.all_claims()
            if claim.uid == os.geteuid() and claim_is_live(claim, table)]


def resolve_lab_dir(explicit: str | None) -> Path:
    """The lab a command acts on: --dir, else $RINGSNAP_LAB_DIR, else the only running lab."""
    chosen = explicit or os.environ.get("RINGSNAP_LAB_DIR")
    if chosen:
        return canonical(chosen)
    labs = running_labs()
    if len(labs) == 1:
        return labs[0].dir
    if not labs:
        raise LabError("no lab is running; start one with `lab up`, or pass --dir")
    listing = ", ".join(str(claim.dir) for claim in labs)
    raise LabError(f"{len(labs)} labs are running ({listing}); pass --dir or set RINGSNAP_LAB_DIR")


# --- up ---------------------------------------------------------------------------------------

def _reuse_problem(lab_dir: Path, table: procs.ProcessTable) -> str | None:
    """Why `lab_dir` cannot host a new lab, or None when it can (absent, empty, or a lab that
    no longer runs, whose files `_prepare_dir` then replaces)."""
    if not lab_dir.exists():
        return None
    if not lab_dir.is_dir():
        return f"{lab_dir} exists and is not a directory"
    if not os.access(lab_dir, os.R_OK | os.W_OK | os.X_OK):
        return f"{lab_dir} is not writable by this user"
    if not any(lab_dir.iterdir()):
        return None
    if not (lab_dir / "lab.json").exists():
        return f"{lab_dir} is neither empty nor a lab directory"
    if lab_is_live(lab_dir, table):
        return f"{lab_dir} holds a running lab; `lab down --dir {lab_dir}` it first"
    return None


def _prepare_dir(lab_dir: Path) -> None:
    """An empty lab directory at `lab_dir` (the files of a dead lab there are removed)."""
    lab_dir.mkdir(parents=True, exist_ok=True)
    for entry in lab_dir.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _claim_index(explicit_dir: Path | None, port: int | None) -> tuple[int, Path, int]:
    """Take the lowest free lab index; return it with the lab's directory and port. The claim
    names this process as its owner, so it holds while this `up` works, lock or no lock."""
    me = procs.process_info(os.getpid())
    with registry.locked():
        table = procs.ProcessTable()
        live = [claim for claim in registry.all_claims() if claim_is_live(claim, table)]
        taken_indexes = {claim.index for claim in live}
        taken_dirs = {claim.dir for claim in live}  # a lab still being set up has no process yet
        if explicit_dir is not None:
            problem = _reuse_problem(explicit_dir, table)
            if explicit_dir in taken_dirs or problem:
                raise LabError(problem or f"another lab is being set up in {explicit_dir}")
        for index in range(1, MAX_INDEX + 1):
            lab_dir = explicit_dir or canonical(default_dir(index))
            lab_port = port or default_port(index)
            if index in taken_indexes or lab_dir in taken_dirs:
                continue
            if explicit_dir is None and _reuse_problem(lab_dir, table):
                continue
            if sshd.port_answers(node_address(index, 1, 1), lab_port):
                continue  # something outside the registry holds the lab's first address
            if registry.write_claim(index, lab_dir, me.pid, me.start_time, procs.boot_id()):
                return index, lab_dir, lab_port
    raise LabError(f"no free lab index in 1..{MAX_INDEX} (is something listening on "
                   f"0.0.0.0:{port or default_port(1)}? then pass --port)")


def _make_keys(lab: LabState) -> None:
    paths = lab.paths
    paths.ssh.mkdir()
    jobs = [(paths.client_key, f"ringsnap-lab-{lab.index}-operator")]
    for node in lab.nodes:
        node_paths = paths.node(node.name)
        node_paths.sshd.mkdir(parents=True)
        jobs.append((node_paths.host_key, f"{node.name}-host"))
    # ssh-keygen is the main cost of `up` on big labs; it runs as separate processes.
    _parallel(lambda job: keys.generate(*job), jobs, workers=2 * (os.cpu_count() or 2))


def _write_ssh_files(lab: LabState) -> None:
    paths = lab.paths
    client_public_key = keys.public_key(paths.client_key)
    known_hosts = []
    for node in lab.nodes:
        node_paths = paths.node(node.name)
        sshd.write_node_files(node_paths, node.address, lab.port, client_public_key)
        known_hosts.append(keys.known_hosts_line(node.address, lab.port,
                                                 keys.public_key(node_paths.host_key)))
    paths.known_hosts.write_text("\n".join(known_hosts) + "\n")


def _record_sshd(node: Node, pid: int) -> None:
    info = procs.process_info(pid)
    node.sshd_pid = pid
    node.sshd_start_time = info.start_time if info else None


def _start_sshds(lab: LabState) -> dict:
    sshd.ensure_privsep_dir()
    started = {}
    for node in lab.nodes:
        started[node.name] = sshd.start(lab.paths.node(node.name))
        _record_sshd(node, started[node.name].pid)
    state.save(lab)  # from here on, `lab down` finds every sshd even if `up` dies
    return started


def _wait_for_sshds(lab: LabState, started: dict) -> None:
    timeout = sshd.ready_timeout(len(started))

    def wait(node: Node) -> None:
        sshd.wait_ready(node.name, lab.paths.node(node.name), started[node.name],
                        node.address, lab.port, timeout)
    _parallel(wait, lab.nodes, workers=64)  # mostly sleeping: threads are cheap


def _tokens_of(lab_dir: str | None) -> dict:
    """Node name -> tokens in another lab's ring, for a lab whose nodes take their places
    (cassandra.yaml initial_token, as when a backup is restored node for node into a new cluster)."""
    if not lab_dir:
        return {}
    ring = Path(lab_dir) / "ring.json"
    try:
        nodes = json.loads(ring.read_text())["nodes"]
    except (OSError, ValueError, KeyError) as error:
        raise LabError(f"--tokens-from {lab_dir}: cannot read {ring}: {error}") from None
    return {name: entry["tokens"] for name, entry in nodes.items()}


def _create_simulated_nodes(lab: LabState, tokens: dict, start_cost_ms: int) -> None:
    if not simulator.available():
        note(f"warning: no node simulator at {simulator.SIM_SCRIPT}; nodes have an empty bin/")
    else:
        def create(node: Node) -> None:
            simulator.create_node(lab.dir, node.name, node.address, node.dc, node.rack,
                                  node.version, lab.num_tokens, tokens.get(node.name), start_cost_ms)
        _parallel(create, lab.nodes, workers=2 * (os.cpu_count() or 2))
    for node in lab.nodes:
        lab.paths.node(node.name).bin.mkdir(exist_ok=True)  # sshd's PATH names it


def _abort_up(lab_dir: Path, index: int) -> None:
    """Undo a failed `up`: stop what it started and free the index; the files stay (sshd logs)."""
    stop_lab_processes(lab_dir)
    with registry.locked():
        registry.release(index, lab_dir)


def _check_up_arguments(dcs: int, nodes_per_dc: int, versions: list[str], racks: int) -> None:
    if not 1 <= dcs <= MAX_DATACENTERS:
        raise LabError(f"--dcs must be within 1..{MAX_DATACENTERS}")
    if not 1 <= nodes_per_dc <= MAX_NODES_PER_DC:
        raise LabError(f"--nodes must be within 1..{MAX_NODES_PER_DC}")
    if racks < 1:
        raise LabError("--racks must be at least 1")
    for version in versions:
        if not is_supported_version(version):
            raise LabError(f"unknown Cassandra version {version!r}; choose a line from "
                           f"{', '.join(SUPPORTED_VERSIONS)} or a release of one (e.g. 4.0.12)")
    if not Path(sshd.SSHD).is_file():
        raise LabError(f"{sshd.SSHD} is missing (Debian: apt-get install openssh-server)")


def up(dcs: int, nodes_per_dc: int, versions: list[str], racks: int, lab_dir: str | None,
       port: int | None, num_tokens: int | None, tokens_from: str | None = None,
       nodetool_cost_ms: int = 0) -> LabState:
    began = time.monotonic()
    _check_up_arguments(dcs, nodes_per_dc, versions, racks)
    tokens = _tokens_of(tokens_from)
    index, chosen_dir, chosen_port = _claim_index(canonical(lab_dir) if lab_dir else None, port)
    lab = LabState(index=index, dir=chosen_dir, port=chosen_port,
                   user=pwd.getpwuid(os.geteuid()).pw_name, cluster=f"lab-{index}",
                   python=sys.executable, num_tokens=num_tokens, boot_id=procs.boot_id(),
                   created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                   nodes=plan_nodes(index, dcs, nodes_per_dc, versions, racks))
    try:
        _prepare_dir(lab.dir)
        state.save(lab)  # the simulator reads the cluster name from it
        _make_keys(lab)
        _write_ssh_files(lab)
        started = _start_sshds(lab)
        # The simulator's work needs no sshd; do it while the sshds start.
        with ThreadPoolExecutor(max_workers=1) as background:
            creating = background.submit(_create_simulated_nodes, lab, tokens, nodetool_cost_ms)
            _wait_for_sshds(lab, started)
            creating.result()
        lab.paths.catalog.mkdir(exist_ok=True)
        lab.paths.cluster_file.write_text(clusterfile.render(lab))
        lab.state = "up"
        state.save(lab)
    except LabError as error:
        _abort_up(lab.dir, index)
        raise LabError(f"{error}\n(files kept in {lab.dir} to debug; "
                       f"`lab down --dir {lab.dir}` removes them)") from None
    except BaseException:
        _abort_up(lab.dir, index)
        raise
    note(f"lab {index} up: {len(lab.nodes)} nodes on port {lab.port} in {lab.dir} "
         f"({time.monotonic() - began:.1f} s); `eval $({sys.argv[0]} env --dir {lab.dir})`")
    return lab


# --- down -------------------------------------------------------------------------------------

def stop_lab_processes(lab_dir: Path) -> set[int]:
    """Stop every process of the lab; return the pids that would not die."""
    held = procs.hold_still(lambda: lab_processes(lab_dir, procs.ProcessTable()))
    survivors = procs.terminate(held)
    # Belt and braces: anything that still shows up now gets no second chance.
    late = lab_processes(lab_dir, procs.ProcessTable()) - survivors
    return survivors | procs.kill_now(late)


def _release_claims_of(lab_dir: Path) -> None:
    with registry.locked():
        for claim in registry.all_claims():
            if claim.dir == lab_dir:
                registry.release(claim.index, lab_dir)


def down(lab_dir: Path, keep: bool) -> None:
    """Stop the lab's processes, free its index and (unless `keep`) remove its directory. Only a
    directory holding a lab.json is removed: a mistyped --dir must not wipe anything else."""
    began = time.monotonic()
    survivors = stop_lab_processes(lab_dir)
    if survivors:
        raise LabError(f"processes {sorted(survivors)} of {lab_dir} would not stop")
    _release_claims_of(lab_dir)
    took = f"{time.monotonic() - began:.1f} s"
    if not (lab_dir / "lab.json").exists():
        note(f"{lab_dir} holds no lab (no lab.json); nothing to remove")
    elif keep:
        note(f"lab in {lab_dir} is down ({took}); files kept")
    else:
        shutil.rmtree(lab_dir)
        note(f"lab in {lab_dir} is down and removed ({took})")


def down_all(keep: bool) -> None:
    """Take down every lab in the registry that this user may stop (root: all of them)."""
    failures = []
    for claim in registry.all_claims():
        if os.geteuid() not in (0, claim.uid):
            continue
        try:
            down(claim.dir, keep)
        except (LabError, OSError) as error:  # take down the others all the same
            failures.append(str(error))
    if failures:
        raise LabError("; ".join(failures))


# --- status -----------------------------------------------------------------------------------

def _host_status(node: Node) -> str:
    info = procs.process_info(node.sshd_pid) if node.sshd_pid else None
    if info is None or not info.alive or info.start_time != node.sshd_start_time:
        return "down"
    return "frozen" if info.stopped else "up"


def _cassandra_status(lab: LabState, node: Node) -> str:
    running = simulator.cassandra_running(lab.paths.node(node.name))
    return {True: "running", False: "stopped", None: "-"}[running]


def status(lab_dir: Path, as_json: bool) -> None:
    lab = state.load(lab_dir)
    rows = [{"name": n.name, "dc": n.dc, "rack": n.rack, "address": f"{n.address}:{lab.port}",
             "version": n.version, "sshd": _host_status(n), "cassandra": _cassandra_status(lab, n)}
            for n in lab.nodes]
    if as_json:
        print(json.dumps({"index": lab.index, "dir": str(lab.dir), "nodes": rows}, indent=2))
        return
    print(f"lab {lab.index} ({lab.cluster}) in {lab.dir}, ssh user {lab.user}")
    columns = list(rows[0].keys()) if rows else []
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    for row in [{c: c for c in columns}] + rows:
        print("  ".join(row[c].ljust(widths[c]) for c in columns).rstrip())


# --- node lifecycle ---------------------------------------------------------------------------

def _run_node_tool(lab: LabState, node: Node, tool: str, required: bool, *args: str) -> None:
    if simulator.run_tool(node.name, lab.paths.node(node.name), tool, *args):
        return
    message = f"{node.name} has no bin/{tool} (is the node simulator installed?)"
    if required:
        raise LabError(message)
    note(f"warning: {message}")


def stop_node(lab_dir: Path, name: str) -> None:
    lab = state.load(lab_dir)
    _run_node_tool(lab, lab.node(name), "cassandra-stop", required=True)


def start_node(lab_dir: Path, name: str) -> None:
    lab = state.load(lab_dir)
    _run_node_tool(lab, lab.node(name), "cassandra-start", required=True)


def kill_host(lab_dir: Path, name: str) -> None:
    """The host crashes: sshd and everything running over SSH die at once, Cassandra with them."""
    with state.updating(lab_dir) as lab:
        node = lab.node(name)
        paths = lab.paths.node(node.name)
        held = procs.hold_still(lambda: node_processes(paths, procs.ProcessTable()))
        survivors = procs.kill_now(held)
        if survivors:
            raise LabError(f"{node.name}: processes {sorted(survivors)} would not die")
        node.host, node.sshd_pid, node.sshd_start_time = "killed", None, None
    # A crash, not a shutdown: unflushed writes wait in the commit log for the next start.
    _run_node_tool(lab, node, "cassandra-stop", False, "--kill")


def revive_host(lab_dir: Path, name: str) -> None:
    """The host comes back: sshd on the same address with the same host key, then Cassandra."""
    with state.updating(lab_dir) as lab:
        node = lab.node(name)
        current = _host_status(node)
        if current == "frozen":
            raise LabError(f"{node.name} is frozen, not dead; use thaw-host")
        if current == "up":
            note(f"{node.name}: host is already up")
            return
        paths = lab.paths.node(node.name)
        process = sshd.start(paths)
        _record_sshd(node, process.pid)
        node.host = "up"
        try:
            sshd.wait_ready(node.name, paths, process, node.address, lab.port)
        except LabError:
            procs.terminate({process.pid})
            node.host, node.sshd_pid, node.sshd_start_time = "killed", None, None
            raise
    _run_node_tool(lab, node, "cassandra-start", required=False)


def _signal_host(lab_dir: Path, name: str, sig: int, new_state: str) -> None:
    with state.updating(lab_dir) as lab:
        node = lab.node(name)
        if _host_status(node) == "down":
            raise LabError(f"{node.name}: host is down (revive-host first)")
        procs.send_signal(node_processes(lab.paths.node(node.name), procs.ProcessTable()), sig)
        node.host = new_state


def freeze_host(lab_dir: Path, name: str) -> None:
    """The host hangs: its sshd and SSH sessions stop. New connections are accepted by the
    kernel but get no banner; commands in flight stop answering."""
    _signal_host(lab_dir, name, signal.SIGSTOP, "frozen")


def thaw_host(lab_dir: Path, name: str) -> None:
    _signal_host(lab_dir, name, signal.SIGCONT, "up")


# --- env, seed, ssh ---------------------------------------------------------------------------

def environment(lab: LabState) -> dict[str, str]:
    paths = lab.paths
    return {
        "RINGSNAP_LAB_DIR": str(lab.dir),
        "RINGSNAP_CLUSTER": str(paths.cluster_file),
        "RINGSNAP_LAB_KEY": str(paths.client_key),
        "RINGSNAP_LAB_KNOWN_HOSTS": str(paths.known_hosts),
        "RINGSNAP_LAB_PORT": str(lab.port),
        "RINGSNAP_LAB_USER": lab.user,
        "RINGSNAP_LAB_INDEX": str(lab.index),
        "RINGSNAP_LAB_NODES": ",".join(node.address for node in lab.nodes),
    }


def env(lab_dir: Path, as_json: bool) -> None:
    variables = environment(state.load(lab_dir))
    if as_json:
        print(json.dumps(variables, indent=2))
    else:
        for key, value in variables.items():
            print(f"{key}={shlex.quote(value)}")


def seed(lab_dir: Path, options: list[str]) -> None:
    state.load(lab_dir)  # fail early, and clearly, on a directory that holds no lab
    sys.stdout.flush()
    simulator.seed(lab_dir, options)


def ssh_command(lab: LabState, node: Node, command: list[str]) -> list[str]:
    """An OpenSSH client command line that reaches `node` as ringsnap would: lab key only,
    host key checked strictly against the lab's known_hosts, no user configuration."""
    paths = lab.paths
    return ["ssh", "-F", "/dev/null", "-i", str(paths.client_key),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", f"UserKnownHostsFile={paths.known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=5",
            "-p", str(lab.port), "-l", lab.user, "--", node.address, *command]


def ssh(lab_dir: Path, name: str, command: list[str]) -> None:
    lab = state.load(lab_dir)
    argv = ssh_command(lab, lab.node(name), command)
    os.execvp(argv[0], argv)


# --- archive stores ---------------------------------------------------------------------------

def _store_name(lab_dir: Path, name: str | None) -> str:
    """--name, else the lab's only archive store."""
    names = archive_store.store_names(lab_dir)
    if name:
        if name not in names:
            raise LabError(f"no archive store {name!r} in {lab_dir} (stores: "
                           f"{', '.join(names) or 'none'})")
        return name
    if len(names) == 1:
        return names[0]
    if not names:
        raise LabError(f"no archive store in {lab_dir}; start one with `lab archive up`")
    raise LabError(f"{len(names)} archive stores in {lab_dir} ({', '.join(names)}); pass --name")


def archive_up(lab_dir: Path, kind: str, name: str | None) -> None:
    began = time.monotonic()
    if not lab_is_live(lab_dir, procs.ProcessTable()):
        # Its index may be another lab's by now, and with it the store's sftp address.
        raise LabError(f"no running lab in {lab_dir}; `lab up` first")
    info = archive_store.up(lab_dir, kind, name or kind)
    server = f", pid {info['pid']} port {info['port']}" if info["pid"] else ""
    note(f"archive {info['name']} up ({info['kind']}{server}, "
         f"{time.monotonic() - began:.1f} s): rclone --config {info['rclone_config']} "
         f"lsf {info['remote']}")
    print(Path(info["rclone_config"]).parent)


def archive_down(lab_dir: Path, name: str | None, remove: bool) -> None:
    """Stop one store's server (every store's without --name); remove its files if asked."""
    state.load(lab_dir)  # fail clearly on a directory that holds no lab
    names = [_store_name(lab_dir, name)] if name else archive_store.store_names(lab_dir)
    if not names:
        note(f"no archive store in {lab_dir}")
    for store in names:
        paths = archive_store.store_paths(lab_dir, store)
        survivors = archive_store.stop(paths)
        if survivors:
            raise LabError(f"archive {store}: processes {sorted(survivors)} would not stop")
        if remove:
            shutil.rmtree(paths.root)
        note(f"archive {store} is down{' and removed' if remove else ''}")


def archive_info(lab_dir: Path, name: str | None, as_json: bool) -> None:
    info = archive_store.load_info(archive_store.store_paths(lab_dir, _store_name(lab_dir, name)))
    if as_json:
        print(json.dumps(info, indent=2))
        return
    for key, value in info.items():
        text = "" if value is None else str(value)
        print(f"RINGSNAP_ARCHIVE_{key.upper()}={shlex.quote(text)}")
