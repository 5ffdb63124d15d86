# SPDX-License-Identifier: Apache-2.0
"""The launcher's side of the simulator contract (README.md, "Simulator interface").

The Cassandra node simulator lives in tests/lab/cassandra_sim/ and is used only through its
command line (`sim.py create-node`, `sim.py seed`) and through the files it leaves in a node's
directory (bin/ tools, conf/node.json). Nothing here imports it.
"""

import json
import subprocess
import sys
from pathlib import Path

from . import LabError
from .layout import NodePaths

SIM_SCRIPT = Path(__file__).resolve().parent.parent / "cassandra_sim" / "sim.py"
TOOL_TIMEOUT = 60  # seconds; a simulated node answers in well under one


def available() -> bool:
    return SIM_SCRIPT.is_file()


def _run(args: list[str], what: str, timeout: float = TOOL_TIMEOUT) -> str:
    try:
        result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"{what}: no answer within {timeout} s") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise LabError(f"{what} failed (exit {result.returncode}): {' | '.join(detail)}")
    return result.stdout


def create_node(lab_dir: Path, name: str, address: str, dc: str, rack: str, version: str,
                num_tokens: int | None, tokens: list[int] | None = None, start_cost_ms: int = 0) -> None:
    args = [sys.executable, str(SIM_SCRIPT), "create-node", "--lab", str(lab_dir),
            "--name", name, "--address", address, "--dc", dc, "--rack", rack,
            "--version", version]
    if tokens:
        args.append("--initial-token=" + ",".join(str(token) for token in tokens))  # "-5,.." is no option
    elif num_tokens is not None:
        args += ["--num-tokens", str(num_tokens)]
    if start_cost_ms:
        args += ["--start-cost-ms", str(start_cost_ms)]
    _run(args, f"{name}: simulator create-node")


def seed(lab_dir: Path, options: list[str]) -> None:
    """Run `sim.py seed`; its output goes straight to ours (a big seed reports progress)."""
    if not available():
        raise LabError(f"the node simulator is missing ({SIM_SCRIPT})")
    args = [sys.executable, str(SIM_SCRIPT), "seed", "--lab", str(lab_dir), *options]
    returncode = subprocess.run(args, stdin=subprocess.DEVNULL).returncode
    if returncode != 0:
        raise LabError(f"simulator seed failed (exit {returncode})")


def run_tool(name: str, paths: NodePaths, tool: str, *args: str) -> bool:
    """Run the node's bin/<tool> (cassandra-start or cassandra-stop) on this machine; False
    when the simulator did not install it."""
    executable = paths.tool(tool)
    if not executable.is_file():
        return False
    _run([str(executable), *args], f"{name}: {tool}")
    return True


def cassandra_running(paths: NodePaths) -> bool | None:
    """The node's `running` flag from conf/node.json, or None when the simulator wrote none."""
    try:
        value = json.loads(paths.node_state.read_text()).get("running")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None
