// SPDX-License-Identifier: Apache-2.0
#pragma once

// --seed HOST: the topology from `nodetool status` on one node instead of the file's list.

#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/executor.hpp>

namespace ringsnap::ops {

// Runs `nodetool status` on `seed` and returns one Node per ring member (address, data center,
// rack). A member the file also lists keeps the file's own settings. Errors when the seed cannot
// be reached or its output cannot be read; ErrorKind::config when the ring is empty.
Result<std::vector<Node>> discover_topology(Executor& executor, const Cluster& cluster, const std::string& seed);

} // namespace ringsnap::ops
