// SPDX-License-Identifier: Apache-2.0
#include "cli/command_line.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

namespace ringsnap::cli {

namespace {

CLI::Validator non_empty_value()
{
    return CLI::Validator(
        [](const std::string& value) {
            return value.empty() ? std::string("the value is empty; give one, or leave the option out") : std::string();
        },
        "", "non-empty");
}

void add_to_every_option(CLI::App& app, const CLI::Validator& validator)
{
    for (CLI::Option* option : app.get_options()) {
        if (option->get_items_expected_min() > 0) { // flags take no value
            option->check(validator);
        }
    }
    for (CLI::App* verb : app.get_subcommands({})) {
        add_to_every_option(*verb, validator);
    }
}

std::vector<std::string> verb_names(const CLI::App& app)
{
    std::vector<std::string> names;
    for (const CLI::App* verb : app.get_subcommands({})) {
        names.push_back(verb->get_name());
    }
    return names;
}

// The verbs, and the one `word` is most likely a typo of.
std::string unknown_verb(const CLI::App& app, const std::string& word)
{
    auto names = verb_names(app);
    auto starts_alike = std::find_if(names.begin(), names.end(), [&](const std::string& name) {
        return word.size() >= 2 && name.rfind(word.substr(0, 2), 0) == 0;
    });
    std::string hint = starts_alike == names.end() ? "" : fmt::format(" (did you mean {}?)", *starts_alike);
    return fmt::format("{} is not a verb{}; the verbs are {} (ringsnap --help says what each does)",
                       quote_for_message(word), hint, fmt::join(names, ", "));
}

// An option given more often than it may be: CLI11 says "At Most 1 required but received 2".
const CLI::Option* repeated_option(const CLI::App& app)
{
    for (const CLI::Option* option : app.get_options()) {
        if (option->count() > 1 && option->get_items_expected_max() == 1) {
            return option;
        }
    }
    for (const CLI::App* verb : app.get_subcommands({})) {
        if (const CLI::Option* option = repeated_option(*verb)) {
            return option;
        }
    }
    return nullptr;
}

std::string help_hint(const CLI::App& app)
{
    auto parsed = app.get_subcommands();
    return parsed.empty() ? "ringsnap --help" : fmt::format("ringsnap {} --help", parsed.front()->get_name());
}

// CLI11's own text repeats the words it was given: each one too long to show whole is cut the way
// quote_for_message cuts any value.
std::string cut_long_arguments(std::string message, const std::vector<std::string>& args)
{
    for (const auto& arg : args) {
        if (arg.size() <= k_max_quoted_chars) {
            continue;
        }
        std::string shown = quote_for_message(arg);
        for (auto at = message.find(arg); at != std::string::npos; at = message.find(arg, at + shown.size())) {
            message.replace(at, arg.size(), shown);
        }
    }
    return message;
}

} // namespace

void refuse_empty_values(CLI::App& app)
{
    add_to_every_option(app, non_empty_value());
}

CLI::Validator whole_number(int min, int max)
{
    return CLI::Validator(
        [min, max](const std::string& value) {
            int number = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
            if (ec == std::errc() && end == value.data() + value.size() && number >= min && number <= max) {
                return std::string();
            }
            return fmt::format("expected a whole number from {} to {}, got {}", min, max, quote_for_message(value));
        },
        fmt::format("{}..{}", min, max), "whole number");
}

std::string describe_parse_error(const CLI::ParseError& error, const CLI::App& app,
                                 const std::vector<std::string>& args)
{
    if (dynamic_cast<const CLI::RequiredError*>(&error) && app.get_subcommands().empty()) {
        auto words = app.remaining();
        if (!words.empty()) {
            return unknown_verb(app, words.front());
        }
        return fmt::format("say what to do: ringsnap [OPTIONS] VERB; the verbs are {} (ringsnap --help)",
                           fmt::join(verb_names(app), ", "));
    }
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error)) {
        if (const CLI::Option* option = repeated_option(app)) {
            return fmt::format("{} was given {} times; give it once", option->get_name(), option->count());
        }
    }
    return fmt::format("{} (see {})", cut_long_arguments(error.what(), args), help_hint(app));
}

bool asks_for_json(const std::vector<std::string>& args)
{
    auto end = std::find(args.begin(), args.end(), "--");
    return std::find(args.begin(), end, "--json") != end;
}

} // namespace ringsnap::cli
