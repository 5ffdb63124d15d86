// SPDX-License-Identifier: Apache-2.0
#pragma once

// Remote commands are built from validated pieces only, and every argument that reaches a remote
// shell goes through shell_quote (design.md). Names a user gives are checked here before any node
// is touched.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ringsnap/result.hpp>

namespace ringsnap {

// One argument for a POSIX shell (sh, dash, bash). Words made only of [A-Za-z0-9_./=:,+@%-] stay
// bare (a leading '-' included: options are ours to choose); anything else is single-quoted, with
// each ' written as '\''. The empty string becomes ''. Bytes are passed through unchanged, so
// UTF-8 and newlines survive. A NUL byte cannot be carried by any shell command line: it throws
// std::invalid_argument (a bug in the caller, which validates its inputs first).
std::string shell_quote(std::string_view arg);

// Each argument through shell_quote, joined by single spaces.
std::string shell_join(const std::vector<std::string>& argv);

// `sudo -n -u USER -- sh -c '<command>'` when a sudo user is set (and not empty), else the command
// unchanged. -n: a sudo that wants a password fails at once instead of waiting for one.
std::string with_sudo(const std::string& command, const std::optional<std::string>& sudo_user);

// The longest a quoted value is in a message, quotes and escapes included.
inline constexpr std::size_t k_max_quoted_chars = 200;

// A value shown in a message: in double quotes, with control characters, '"' and '\' escaped
// (\n, \x1b, ...) so that a hostile value cannot garble the terminal, and cut at a character
// boundary to stay within `max_chars`, the full length after a cut one: "aaaa"... (4096 bytes).
// Every message that shows a value it was given goes through here, so a 10 MB value makes a
// short line.
std::string quote_for_message(std::string_view text, std::size_t max_chars = k_max_quoted_chars);

// Keyspace and table names: Cassandra's identifier rule, [A-Za-z0-9_]{1,48}. `what` names the
// thing in the message ("keyspace", "table"). ErrorKind::usage.
[[nodiscard]] Status validate_cql_identifier(std::string_view name, std::string_view what);

// Snapshot tags: [A-Za-z0-9_.-], 1 to 200 characters, no leading dot (so neither "." nor "..",
// and never a hidden directory). ErrorKind::usage.
[[nodiscard]] Status validate_tag(std::string_view tag);

struct KeyspaceTable
{
    std::string keyspace;
    std::string table;
};

// "ks.table" -> {ks, table}, both validated; exactly one dot. ErrorKind::usage.
[[nodiscard]] Result<KeyspaceTable> parse_keyspace_table(std::string_view text);

} // namespace ringsnap
