// SPDX-License-Identifier: Apache-2.0
#pragma once

// The shells a node may run our commands with: /bin/sh (dash on Debian) and bash when present.

#include <filesystem>
#include <string>
#include <vector>

namespace ringsnap::testing {

inline std::vector<std::string> node_shells()
{
    std::vector<std::string> found{"/bin/sh"};
    for (const char* shell : {"/bin/bash", "/bin/dash"}) {
        if (std::filesystem::exists(shell)) {
            found.emplace_back(shell);
        }
    }
    return found;
}

} // namespace ringsnap::testing
