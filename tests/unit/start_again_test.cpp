// SPDX-License-Identifier: Apache-2.0
// When the SSH layer starts a command again (ssh/session.hpp): a refusal before the command ran
// is tried again a bounded number of times; a command that may have run never is. The lab test
// SshExecutorOnLab.AChannelTheNodeRefusesIsTriedAgainThenNamedWithItsReason sees it on a real sshd.

#include "ssh/session.hpp"

#include <gtest/gtest.h>

namespace ringsnap::ssh {
namespace {

TEST(StartAgain, ARefusalIsTriedAgainUpToThreeAttempts)
{
    EXPECT_TRUE(start_again(StartFailure{.attempt = 1}));
    EXPECT_TRUE(start_again(StartFailure{.attempt = 2}));
    EXPECT_FALSE(start_again(StartFailure{.attempt = 3})) << "bounded";
}

TEST(StartAgain, ACommandThatMayHaveRunIsNeverStartedTwice)
{
    EXPECT_FALSE(start_again(StartFailure{.may_have_run = true, .attempt = 1}));
}

TEST(StartAgain, NothingIsTriedAgainOnALostSessionAfterCtrlCOrPastTheDeadline)
{
    EXPECT_FALSE(start_again(StartFailure{.session_up = false}));
    EXPECT_FALSE(start_again(StartFailure{.cancelled = true}));
    EXPECT_FALSE(start_again(StartFailure{.time_left = false}));
}

} // namespace
} // namespace ringsnap::ssh
