// SPDX-License-Identifier: Apache-2.0
#pragma once

// What ringsnap reads of a node's cassandra.yaml (as the survey read it). A setting that is
// absent, or a file that is not YAML, gives Cassandra's default or nothing: the file is the
// node's, not ringsnap's to judge.

#include <optional>
#include <string>
#include <vector>

namespace ringsnap {

// 5.0's storage_compatibility_mode; "CASSANDRA_4" (the shipped default) when absent.
std::string storage_compatibility_mode(const std::string& cassandra_yaml);

// The seeds of seed_provider's `seeds: "a,b:7000,[::1]:7000"`, as hosts without ports.
std::vector<std::string> seed_hosts(const std::string& cassandra_yaml);

// commitlog_directory, when set to an absolute path; normalized, without a trailing slash.
std::optional<std::string> commitlog_directory(const std::string& cassandra_yaml);

} // namespace ringsnap
