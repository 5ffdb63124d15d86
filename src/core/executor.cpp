// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/executor.hpp>

#include <fmt/format.h>

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

std::string failed_step_of(const std::vector<StepRecord>& steps)
{
    for (const auto& step : steps) {
        if (step.error || (step.output && !step.output->succeeded())) {
            return step.name;
        }
    }
    return steps.empty() ? "job" : steps.back().name;
}

Result<CommandOutput> run_checked(RemoteShell& shell, const std::string& step, const std::string& command,
                                  std::optional<Duration> timeout)
{
    auto output = shell.run(step, command, timeout);
    if (!output || output->succeeded()) {
        return output;
    }
    std::string reason = last_line(output->err);
    if (reason.empty()) {
        reason = last_line(output->out);
    }
    // sshd closes a channel without an exit status when, for one, its ChannelTimeout fires.
    std::string status = !output->exit_signal.empty() ? fmt::format("killed by signal {}", output->exit_signal)
                         : output->exit_status < 0    ? std::string("no exit status: the node closed the channel")
                                                      : fmt::format("exit status {}", output->exit_status);
    return make_error(ErrorKind::command,
                      reason.empty() ? fmt::format("{} failed ({})", step, status)
                                     : fmt::format("{} failed ({}): {}", step, status, reason));
}

} // namespace ringsnap
