// SPDX-License-Identifier: Apache-2.0
// `ringsnap complete WHAT [VERB]`: words for the shell's completion (packaging/ringsnap.bash-completion).
// Hidden from --help. It reads the command line's own definition, the cluster file and the
// catalog, and touches no node: a completion must answer at once.

#include <iostream>
#include <set>

#include <ringsnap/catalog.hpp>

#include "cli/backup_report.hpp"
#include "cli/commands.hpp"

namespace ringsnap::cli {

namespace {

std::set<std::string> verbs_of(const CLI::App& app)
{
    std::set<std::string> verbs;
    for (const auto* verb : app.get_subcommands({})) {
        if (!verb->get_group().empty()) { // hidden ones have no group
            verbs.insert(verb->get_name());
        }
    }
    return verbs;
}

void add_option_names(const CLI::App& command, std::set<std::string>& names)
{
    for (const auto* option : command.get_options()) {
        for (const auto& name : option->get_lnames()) {
            names.insert("--" + name);
        }
        for (const auto& name : option->get_snames()) {
            names.insert("-" + name);
        }
    }
}

// The global options, and the verb's (and its subcommands') when one is named.
std::set<std::string> options_of(const CLI::App& app, const std::string& verb)
{
    std::set<std::string> names;
    add_option_names(app, names);
    for (const auto* command : app.get_subcommands({})) {
        if (command->get_name() == verb) {
            add_option_names(*command, names);
            for (const auto& word : verbs_of(*command)) {
                names.insert(word);
            }
        }
    }
    return names;
}

std::set<std::string> tags_in_catalog(Context& context)
{
    std::set<std::string> tags;
    auto catalog = open_catalog(context);
    if (!catalog) {
        return tags;
    }
    auto listing = catalog->list();
    if (!listing) {
        return tags;
    }
    for (const auto& backup : listing->manifests) {
        tags.insert(backup.tag);
    }
    return tags;
}

std::set<std::string> from_cluster_file(Context& context, bool datacenters)
{
    std::set<std::string> words;
    if (auto cluster = context.cluster()) {
        for (const auto& node : cluster->nodes) {
            words.insert(datacenters ? node.datacenter : node.host);
        }
    }
    return words;
}

} // namespace

void add_complete_command(CLI::App& app, Action& action)
{
    auto what = std::make_shared<std::string>();
    auto verb = std::make_shared<std::string>();
    auto* complete = app.add_subcommand("complete", "Words for shell completion");
    complete->group(""); // hidden from --help
    complete->add_option("what", *what, "verbs, options, tags, datacenters or hosts")
        ->required()
        ->check(CLI::IsMember({"verbs", "options", "tags", "datacenters", "hosts"}));
    complete->add_option("verb", *verb, "with options: the verb whose options are wanted");
    complete->callback([what, verb, &app, &action] {
        action = [what, verb, &app](Context& context) {
            std::set<std::string> words = *what == "verbs"     ? verbs_of(app)
                                          : *what == "options" ? options_of(app, *verb)
                                          : *what == "tags"    ? tags_in_catalog(context)
                                                               : from_cluster_file(context, *what == "datacenters");
            for (const auto& word : words) {
                std::cout << word << "\n";
            }
            return exit_code::ok;
        };
    });
}

} // namespace ringsnap::cli
