#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes ringsnap(1) from the built binary's own --help texts, so that the man page says what
the code does: the global help, then each verb's. Run at build time:

    make_man_page.py BUILD/src/ringsnap ringsnap.1
"""

import datetime
import os
import subprocess
import sys


def run(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True, check=True)
    return result.stdout


def roff_text(text):
    """Help text as literal roff lines: backslashes doubled, a leading dot or quote escaped."""
    lines = []
    for line in text.rstrip("\n").split("\n"):
        line = line.replace("\\", "\\e")
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def section(title, body):
    return f".SH {title}\n.nf\n{roff_text(body)}\n.fi\n"


def main():
    binary, output = sys.argv[1], sys.argv[2]
    version = run(binary, "--version").strip().split()[-1]
    # SOURCE_DATE_EPOCH keeps the page reproducible.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
            if epoch else datetime.datetime.now(datetime.timezone.utc))
    date = when.strftime("%Y-%m-%d")
    verbs = run(binary, "complete", "verbs").split()
    page = [
        f'.TH RINGSNAP 1 "{date}" "ringsnap {version}" "User Commands"',
        ".SH NAME",
        "ringsnap \\- back up and restore every node of a Cassandra cluster over SSH",
        ".SH SYNOPSIS",
        ".B ringsnap",
        "[\\fIOPTIONS\\fR] \\fIVERB\\fR [\\fIVERB OPTIONS\\fR]",
        ".SH DESCRIPTION",
        "ringsnap takes snapshots and incremental backups of every node of a Cassandra cluster at once, "
        "records them file by file in a manifest, verifies, archives, clears and restores them. "
        "It reaches the nodes over SSH and runs nodetool there.",
    ]
    text = "\n".join(page) + "\n" + section("OPTIONS", run(binary, "--help"))
    for verb in verbs:
        text += section(f"VERB: {verb.upper()}", run(binary, verb, "--help"))
    text += ".SH FILES\n.nf\n"
    text += roff_text("~/.local/share/ringsnap/CLUSTER/    the catalog: manifests, restore records, the lock\n"
                      "/usr/share/doc/ringsnap/examples/   a cluster file, cron and systemd jobs, a CI restore job")
    text += "\n.fi\n.SH SEE ALSO\nnodetool(1), sstableloader(1), rclone(1)\n"
    with open(output, "w", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    main()
