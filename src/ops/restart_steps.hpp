// SPDX-License-Identifier: Apache-2.0
#pragma once

// The remote commands of a restore by restart: waiting for a node to be down, moving its live
// files aside into a quarantine, putting the staged backup in their place, and the way back
// (--undo) and out (--cleanup). Paths come from the cluster file, the restore id and the plan
// (validated names), always through shell_quote.
//
// A table directory is never removed: it also holds snapshots/ and backups/. Nothing is ever
// moved over an existing file; a name already taken fails the command and says which.

#include <optional>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/ops/restore.hpp>

namespace ringsnap::ops::restart_steps {

// The node's commit log directory: the cluster file's cassandra.commitlog_dir, else the
// commitlog_directory of its cassandra.yaml (as the survey read it), else unknown.
std::optional<std::string> commitlog_dir_of(const Node& node, const std::optional<std::string>& cassandra_yaml);

// ".../ringsnap-restore/<id>/quarantine/d<index>": where the live files of this data
// directory's tables wait, on its filesystem (a rename away).
std::string quarantine_root(const std::string& data_dir, const std::string& restore_id, std::size_t index);
// "<parent of the commit log directory>/ringsnap-restore/<id>/commitlog".
std::string commitlog_quarantine(const std::string& commitlog_dir, const std::string& restore_id);
// Every quarantine of the node, for the report: one per data directory, and the commit log's.
std::vector<std::string> quarantine_paths(const Node& node, const std::optional<std::string>& commitlog_dir,
                                          const std::string& restore_id);

// Exits 0 once nodetool's connection to the node is refused (its JMX port is closed: the JVM is
// gone), asking every 2 s; any other failure (credentials, TLS) fails it with nodetool's first
// line. Run it under a deadline.
std::string wait_down_command(const Node& node);

// Moves every file of the tables' live directories (SSTables, transaction logs, temporary files
// and the hidden secondary-index directories) into quarantine, and with `commitlog_dir` every
// commit log segment too.
// Directories that placing will create (the table had none in that data directory) get an
// empty quarantine, so that --undo reverts them too.
std::vector<std::string> quarantine_commands(const Node& node, const NodePlan& plan, const std::string& restore_id,
                                             const std::vector<const TablePlan*>& tables,
                                             const std::optional<std::string>& commitlog_dir);

// Moves each staged file into the live directory of its data directory (created with the data
// directory's owner when the table had none there), gives the files that owner, then checks
// that a file of a staged name already there (an earlier run's) is the staged file or holds its
// bytes: the staging's own file (a link of the snapshot's or a blob downloaded from the archive)
// was verified, a stranger is refused. Safe to run again.
std::vector<std::string> place_commands(const Node& node, const NodePlan& plan,
                                        const std::vector<const TablePlan*>& tables);

// The way back, on a stopped node: with `placed` (files of the backup may be in the table
// directories), what those directories hold now moves to ".../<id>/undone/d<index>/" first;
// then the quarantined files go back where they were, and the commit log's. Safe to run again
// after a crash: each table directory is emptied once, each quarantine removed once it is back.
std::string undo_command(const Node& node, const std::optional<std::string>& commitlog_dir,
                         const std::string& restore_id, bool placed);

// Removes the quarantine (and what --undo set aside) of this restore on the node.
std::string remove_quarantine_command(const Node& node, const std::optional<std::string>& commitlog_dir,
                                      const std::string& restore_id);

} // namespace ringsnap::ops::restart_steps
