# SPDX-License-Identifier: Apache-2.0
"""labkit: the code behind tests/lab/lab, the ringsnap lab launcher.

Modules, from the bottom up:
  procs        what runs, read from /proc; finding and stopping a lab's processes
  registry     lab indexes claimed in /tmp/ringsnap-labs/ (so labs can run side by side)
  layout       node names, addresses, racks, versions and the paths of a lab directory
  state        lab.json: load, save, locked read-modify-write
  keys         ssh-keygen, authorized_keys, known_hosts
  sshd         sshd_config, starting an sshd, waiting for its banner
  simulator    calls into tests/lab/cassandra_sim (written separately, used through its CLI)
  archive_store  storage for the archive: a directory, s3rver or an sftp sshd; rclone.conf
  clusterfile  the ringsnap cluster file (YAML) for a lab
  commands     one function per `lab` subcommand
  cli          argument parsing
Standard library only: the lab runs wherever python3 and OpenSSH do.
"""


class LabError(Exception):
    """A failure to report to the user as one line, without a traceback."""
