// SPDX-License-Identifier: Apache-2.0
// `ringsnap exec [--] CMD...`

#include <memory>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/ops/exec.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/commands.hpp"

namespace ringsnap::cli {

namespace {

std::string first_line(const std::string& text)
{
    auto start = text.find_first_not_of("\r\n");
    if (start == std::string::npos) {
        return {};
    }
    return text.substr(start, text.find_first_of("\r\n", start) - start);
}

std::string seconds(Duration duration)
{
    return fmt::format("{:.2f}s", static_cast<double>(duration.count()) / 1000.0);
}

// The step's output, or why there is none.
const StepRecord* exec_step(const NodeRun& run)
{
    return run.steps.empty() ? nullptr : &run.steps.front();
}

std::string render_table(const std::vector<NodeRun>& runs, bool verbose)
{
    TextTable table({"DC", "HOST", "EXIT", "TIME", "OUTPUT"});
    std::string details;
    for (const auto& run : runs) {
        const StepRecord* step = exec_step(run);
        std::string exit = (step && step->output) ? std::to_string(step->output->exit_status) : "-";
        std::string shown;
        if (step && step->output) {
            shown = first_line(step->output->out);
            if (shown.empty()) {
                shown = first_line(step->output->err);
            }
        }
        if (run.error && (!step || !step->output)) {
            shown = describe(*run.error);
        }
        table.add_row({run.node.datacenter, run.node.host, exit, seconds(run.duration), shown});
        if (verbose && step && step->output) {
            details += fmt::format("\n--- {} {} (exit {}) ---\n{}", run.node.datacenter, run.node.host,
                                   step->output->exit_status, step->output->out);
            if (!step->output->err.empty()) {
                details += fmt::format("--- stderr ---\n{}", step->output->err);
            }
        }
    }
    return table.render() + details;
}

std::string summary_line(const std::vector<NodeRun>& runs)
{
    auto ok = std::count_if(runs.begin(), runs.end(), [](const NodeRun& run) { return run.ok(); });
    return fmt::format("{} of {} nodes succeeded\n", ok, runs.size());
}

int run_exec(Context& context, std::vector<std::string> words)
{
    if (!words.empty() && words.front() == "--") {
        words.erase(words.begin());
    }
    // Several words are joined as the operator's shell would see them typed on one line.
    std::string command = fmt::format("{}", fmt::join(words, " "));
    if (command.find_first_not_of(" \t\n") == std::string::npos) { // `exec -- ''` would run nothing
        return context.refuse(make_error(ErrorKind::usage, "exec needs a command: ringsnap exec -- CMD..."));
    }
    auto selection = context.load_and_select();
    if (!selection) {
        return context.refuse(selection.error());
    }
    auto runs = ops::exec_everywhere(context.executor(), selection->nodes, command);
    auto status = summarize(runs, cancel_requested());
    auto json = run_summary_json(status, runs, true);
    json["command"] = command;
    context.emit(render_table(runs, context.options().verbose > 0) + summary_line(runs), json);
    return exit_code_for(status);
}

} // namespace

void add_exec_command(CLI::App& app, Action& action)
{
    auto* exec = app.add_subcommand("exec", "Run a command on every selected node");
    exec->footer("The command runs through each node's login shell as the SSH user. Put `--` before a\n"
                 "command that has options of its own: ringsnap exec -- df -h /var/lib/cassandra\n"
                 "Exit 0 when it succeeded everywhere, 1 when it failed on some nodes, 3 on all.");
    // Everything after the verb belongs to the remote command: its first word is the positional,
    // the rest is left unparsed (prefix_command), so `ls -l` keeps its `-l`.
    auto words = std::make_shared<std::vector<std::string>>();
    exec->add_option("command", *words, "The command and its arguments")->type_name("COMMAND");
    exec->prefix_command();
    exec->callback([exec, words, &action] {
        // CLI11 hands a `--` that ends ringsnap's options back among the remaining words.
        std::vector<std::string> command = *words;
        bool separator_dropped = false;
        for (const auto& word : exec->remaining()) {
            if (word == "--" && !separator_dropped) {
                separator_dropped = true;
                continue;
            }
            command.push_back(word);
        }
        action = [command](Context& context) { return run_exec(context, command); };
    });
}

} // namespace ringsnap::cli
