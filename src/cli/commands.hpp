// SPDX-License-Identifier: Apache-2.0
#pragma once

// One function per verb: declares its options on `app` and sets `action` to run it.

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace ringsnap::cli {

void add_check_command(CLI::App& app, Action& action);
void add_exec_command(CLI::App& app, Action& action);
void add_snapshot_command(CLI::App& app, Action& action);
void add_verify_command(CLI::App& app, Action& action);
void add_clear_command(CLI::App& app, Action& action);
void add_list_command(CLI::App& app, Action& action);
void add_incremental_command(CLI::App& app, Action& action);
void add_restore_command(CLI::App& app, Action& action);
void add_archive_command(CLI::App& app, Action& action);
void add_catalog_command(CLI::App& app, Action& action);
void add_complete_command(CLI::App& app, Action& action);

} // namespace ringsnap::cli
