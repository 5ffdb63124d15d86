// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/executor.hpp>

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

// The last non-empty line of `text`, which is where tools put the reason they failed.
std::string last_line(const std::string& text)
{
    auto end = text.find_last_not_of(" \t\r\n");
    if (end == std::string::npos) {
        return {};
    }
    auto start = text.rfind('\n', end);
    start = (start == std::string::npos) ? 0 : start + 1;
    return text.substr(start, end - start + 1);
}

} // namespace

Concurrency tighter(const Concurrency& a, const Concurrency& b)
{
    auto stricter = [](int x, int y) { return x <= 0 ? y : (y <= 0 ? x : std::min(x, y)); };
    return {stricter(a.parallel, b.parallel), stricter(a.per_dc, b.per_dc), stricter(a.per_rack, b.per_rack)};
}

void NodeRun::then(const NodeRun& next)
{
    steps.insert(steps.end(), next.steps.begin(), next.steps.end());
    connect_time += next.connect_time;
    duration += next.duration;
    if (!next.ok()) {
        error = next.error.value_or(make_error(ErrorKind::interrupted, "interrupted before its next job could run"));
        failed_step = next.failed_step.empty() ? "job" : next.failed_step;
    }
}

std::string failed_step_of(const std::vector<StepRecord>& steps)
{
    for (const auto& step : steps) {
        if (step.error || (step.output && !step.output->succeeded())) {
            return step.name;
        }
    }
    return steps.empty() ? "job" : steps.back().name;
}

Status check_succeeded(const std::string& step, const CommandOutput& output)
{
    if (output.succeeded()) {
        return {};
    }
    std::string reason = last_line(output.err);
    if (reason.empty()) {
        reason = last_line(output.out);
    }
    // sshd closes a channel without an exit status when, for one, its ChannelTimeout fires.
    std::string status = !output.exit_signal.empty() ? fmt::format("killed by signal {}", output.exit_signal)
                         : output.exit_status < 0    ? std::string("no exit status: the node closed the channel")
                                                     : fmt::format("exit status {}", output.exit_status);
    return make_error(ErrorKind::command, reason.empty() ? fmt::format("{} failed ({})", step, status)
                                                         : fmt::format("{} failed ({}): {}", step, status, reason));
}

Result<CommandOutput> run_checked(RemoteShell& shell, const std::string& step, const std::string& command,
                                  std::optional<Duration> timeout)
{
    auto output = shell.run(step, command, timeout);
    if (!output) {
        return output;
    }
    if (auto status = check_succeeded(step, *output); !status) {
        return status.error();
    }
    return output;
}

std::string together_script(const std::vector<std::string>& commands)
{
    // Every command runs in the background with its streams and status in files of a private
    // directory; once all have ended, each is printed as a header with the status and the two
    // lengths, then the bytes themselves, so no output can be mistaken for a header. The
    // traps remove the directory however the shell ends (a timeout kills the process group).
    std::string script = "t=$(mktemp -d) || exit 1; trap 'rm -rf \"$t\"' EXIT; trap 'exit 143' HUP INT TERM; ";
    for (std::size_t i = 0; i < commands.size(); ++i) {
        script += fmt::format("{{ ( {} ) >\"$t/o{}\" 2>\"$t/e{}\" </dev/null; echo $? >\"$t/s{}\"; }} & ", commands[i],
                              i, i, i);
    }
    script += "wait; ";
    for (std::size_t i = 0; i < commands.size(); ++i) {
        script += fmt::format("printf 'ringsnap-part %s %s %s\\n' \"$(cat \"$t/s{0}\")\" "
                              "$(($(wc -c <\"$t/o{0}\"))) $(($(wc -c <\"$t/e{0}\"))); "
                              "cat \"$t/o{0}\" \"$t/e{0}\"; ",
                              i);
    }
    return script;
}

std::string in_turn_script(const std::vector<std::string>& commands)
{
    // As together_script, but one command after the other, each part printed as soon as it ends
    // with its duration in milliseconds. The clock is /proc/uptime (centiseconds) read by the
    // shell itself: no process per reading, which counts when a node runs one part per table.
    std::string script = "t=$(mktemp -d) || exit 1; trap 'rm -rf \"$t\"' EXIT; trap 'exit 143' HUP INT TERM; "
                         "now() { read u _ </proc/uptime; n=${u%.*}${u#*.}; }; ";
    for (const auto& command : commands) {
        script += fmt::format("now; s=$n; {{ ( {} ) >\"$t/o\" 2>\"$t/e\" </dev/null; }}; c=$?; now; "
                              "printf 'ringsnap-part %s %s %s %s\\n' \"$c\" $(($(wc -c <\"$t/o\"))) "
                              "$(($(wc -c <\"$t/e\"))) $(((n - s) * 10)); cat \"$t/o\" \"$t/e\"; ",
                              command);
    }
    return script;
}

namespace {

// Reads "ringsnap-part STATUS OUT_LEN ERR_LEN [MS]\n" at `pos`, then the two streams.
Result<CommandOutput> read_part(const std::string& out, std::size_t& pos)
{
    auto end = out.find('\n', pos);
    if (end == std::string::npos) {
        return make_error(ErrorKind::parse, "the output of commands run together ends in the middle of a header");
    }
    std::istringstream header(out.substr(pos, end - pos));
    std::string marker;
    CommandOutput part;
    std::size_t out_length = 0, err_length = 0;
    if (!(header >> marker >> part.exit_status >> out_length >> err_length) || marker != "ringsnap-part" ||
        end + 1 + out_length + err_length > out.size()) {
        return make_error(ErrorKind::parse,
                          fmt::format("unexpected output of commands run together: {}",
                                      quote_for_message(out.substr(pos, std::min<std::size_t>(end - pos, 80)))));
    }
    long milliseconds = 0;
    if (header >> milliseconds) {
        part.duration = Duration(milliseconds);
    }
    part.out = out.substr(end + 1, out_length);
    part.err = out.substr(end + 1 + out_length, err_length);
    pos = end + 1 + out_length + err_length;
    return part;
}

} // namespace

Result<std::vector<CommandOutput>> split_together_output(const std::string& out, std::size_t parts)
{
    std::vector<CommandOutput> outputs;
    std::size_t pos = 0;
    while (outputs.size() < parts) {
        auto part = read_part(out, pos);
        if (!part) {
            return part.error();
        }
        outputs.push_back(std::move(*part));
    }
    if (pos != out.size()) {
        return make_error(ErrorKind::parse, "commands run together printed more than their parts");
    }
    return outputs;
}

Result<std::vector<CommandOutput>> RemoteShell::together(const std::string& step,
                                                         const std::vector<std::string>& commands,
                                                         std::optional<Duration> timeout, Order order)
{
    auto script = order == Order::at_once ? together_script(commands) : in_turn_script(commands);
    auto output = run_checked(*this, step, script, timeout);
    if (!output) {
        return output.error();
    }
    return split_together_output(output->out, commands.size());
}

Result<std::vector<CommandOutput>> run_together(RemoteShell& shell, const std::string& step,
                                                const std::vector<std::string>& commands,
                                                std::optional<Duration> timeout)
{
    return shell.together(step, commands, timeout, RemoteShell::Order::at_once);
}

Result<std::vector<CommandOutput>> run_in_turn(RemoteShell& shell, const std::string& step,
                                               const std::vector<std::string>& commands,
                                               std::optional<Duration> timeout)
{
    return shell.together(step, commands, timeout, RemoteShell::Order::in_turn);
}

} // namespace ringsnap
