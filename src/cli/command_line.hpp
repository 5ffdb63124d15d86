// SPDX-License-Identifier: Apache-2.0
#pragma once

// The checks every option of every verb goes through, and the one place that turns CLI11's
// parse errors into messages that say what is wrong and what to do.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ringsnap::cli {

// Refuses an empty value for every option of `app` and of its verbs that takes a value (call it
// once every verb has declared its options): `--tag ''` must not quietly mean "the default".
void refuse_empty_values(CLI::App& app);

// A whole number from `min` to `max`; the message says the range and shows what was given.
CLI::Validator whole_number(int min, int max);

// The message for a parse error: names the option or the word at fault and says what to do
// (the verbs for an unknown one, "give it once" for a repeated option). Every argument longer
// than a quoted value may be is cut where CLI11's own text repeats it.
std::string describe_parse_error(const CLI::ParseError& error, const CLI::App& app,
                                 const std::vector<std::string>& args);

// Whether `--json` is on the command line before a `--`: how a run that failed to parse knows
// it owes its caller a JSON object.
bool asks_for_json(const std::vector<std::string>& args);

} // namespace ringsnap::cli
