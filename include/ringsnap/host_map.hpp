// SPDX-License-Identifier: Apache-2.0
#pragma once

// The host map of a restore into another cluster of the same shape (`restore --host-map FILE`):
// which target node takes the place of which backup node. One pair per line, the backup's host
// (as the manifest records it) then the target's (as the target's cluster file names it):
//
//   # source          target
//   10.0.1.11         10.8.1.11
//   cass-dc1-2.old    cass-dc1-2.new
//
// Blank lines and lines starting with `#` are skipped. A host on either side appears once.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <ringsnap/result.hpp>

namespace ringsnap {

using HostMap = std::map<std::string, std::string>; // backup node's host -> target node's host

// The map in `text`; ErrorKind::parse naming `origin` and the line when a line is not two host
// names or a host appears twice on one side.
[[nodiscard]] Result<HostMap> parse_host_map(std::string_view text, const std::string& origin);

// The map in a file on the operator host (read through open_local_file).
[[nodiscard]] Result<HostMap> load_host_map(const std::filesystem::path& path);

} // namespace ringsnap
