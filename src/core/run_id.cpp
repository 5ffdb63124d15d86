// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/run_id.hpp>

#include <random>

#include <fmt/format.h>

namespace ringsnap {

const std::string& this_run_id()
{
    static const std::string id = [] {
        std::random_device source;
        std::uint64_t bits = (std::uint64_t{source()} << 32) | source();
        return fmt::format("{:012x}", bits & 0xffffffffffffULL);
    }();
    return id;
}

} // namespace ringsnap
