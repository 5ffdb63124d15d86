// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap exec`: one command on every selected node.

#include <string>
#include <vector>

#include <ringsnap/executor.hpp>

namespace ringsnap::ops {

// Runs `command` (as given: the operator's own shell text) through each node's login shell. A
// node fails when it cannot be reached or the command exits non-zero; its output is kept either
// way, in the NodeRun's single step.
std::vector<NodeRun> exec_everywhere(Executor& executor, const std::vector<Node>& nodes, const std::string& command);

} // namespace ringsnap::ops
