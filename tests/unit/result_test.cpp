// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/result.hpp>

#include <string>

#include <gtest/gtest.h>

namespace ringsnap {
namespace {

TEST(ErrorKindName, NamesEveryKindAsInTheEnum)
{
    EXPECT_STREQ(to_string(ErrorKind::usage), "usage");
    EXPECT_STREQ(to_string(ErrorKind::config), "config");
    EXPECT_STREQ(to_string(ErrorKind::connect), "connect");
    EXPECT_STREQ(to_string(ErrorKind::auth), "auth");
    EXPECT_STREQ(to_string(ErrorKind::host_key), "host_key");
    EXPECT_STREQ(to_string(ErrorKind::timeout), "timeout");
    EXPECT_STREQ(to_string(ErrorKind::command), "command");
    EXPECT_STREQ(to_string(ErrorKind::parse), "parse");
    EXPECT_STREQ(to_string(ErrorKind::io), "io");
    EXPECT_STREQ(to_string(ErrorKind::interrupted), "interrupted");
    EXPECT_STREQ(to_string(ErrorKind::internal), "internal");
}

TEST(ErrorKindName, FallsBackToInternalForAnOutOfRangeValue)
{
    EXPECT_STREQ(to_string(static_cast<ErrorKind>(999)), "internal");
}

} // namespace
} // namespace ringsnap
