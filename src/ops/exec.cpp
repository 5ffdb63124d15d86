// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/exec.hpp>

namespace ringsnap::ops {

std::vector<NodeRun> exec_everywhere(Executor& executor, const std::vector<Node>& nodes, const std::string& command)
{
    return executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t) -> Status {
        auto output = run_checked(shell, "exec", command);
        if (!output) {
            return output.error();
        }
        return {};
    });
}

} // namespace ringsnap::ops
