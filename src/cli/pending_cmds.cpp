// SPDX-License-Identifier: Apache-2.0
// Verbs of design.md whose issues are still open. They are registered so that --help shows the
// whole product, and they refuse to run rather than silently doing nothing.

#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"

namespace ringsnap::cli {

namespace {

struct PendingVerb {
    const char* name;
    const char* description;
};

constexpr PendingVerb k_pending_verbs[] = {
    {"restore", "Restore a backup onto the nodes, or into another cluster"},
};

} // namespace

void add_pending_commands(CLI::App& app, Action& action)
{
    for (const auto& verb : k_pending_verbs) {
        auto* command = app.add_subcommand(verb.name, fmt::format("{} (not implemented yet)", verb.description));
        // Accept whatever options it will have: it refuses to run anyway, and says so.
        command->allow_extras()->fallthrough(false);
        command->callback([name = std::string(verb.name), &action] {
            action = [name](Context& context) {
                return context.refuse(make_error(ErrorKind::usage,
                                                 fmt::format("`{}` is not implemented yet in this version", name)));
            };
        });
    }
}

} // namespace ringsnap::cli
