// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/duration.hpp>

#include <gtest/gtest.h>

namespace ringsnap {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesEveryUnit)
{
    EXPECT_EQ(*parse_duration("500ms"), 500ms);
    EXPECT_EQ(*parse_duration("30s"), 30s);
    EXPECT_EQ(*parse_duration("5m"), 5min);
    EXPECT_EQ(*parse_duration("2h"), 2h);
    EXPECT_EQ(*parse_duration("7d"), 168h);
}

TEST(Duration, ReadsMillisecondsAsOneUnitNotMinutes)
{
    EXPECT_EQ(*parse_duration("1ms"), 1ms);
    EXPECT_EQ(*parse_duration("1m"), 60s);
}

TEST(Duration, AcceptsLeadingZerosAndLargeCounts)
{
    EXPECT_EQ(*parse_duration("010s"), 10s);
    EXPECT_EQ(*parse_duration("36500d"), std::chrono::hours(24 * 36500));
}

TEST(Duration, RejectsFreeTextWithTheExpectedForm)
{
    auto parsed = parse_duration("5 minutes");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().kind, ErrorKind::config);
    EXPECT_EQ(parsed.error().message,
              "expected a duration like 30s, 5m, 2h or 7d (units: ms, s, m, h, d), got \"5 minutes\"");
}

TEST(Duration, RejectsMalformedValues)
{
    for (const char* text : {"", "s", "5", "5 m", " 5m", "5m ", "-5m", "+5m", "1.5h", "5M", "5min", "5sec", "5w", "5y",
                             "m5", "5mm", "0x10s", "5ms5", "５m"}) {
        auto parsed = parse_duration(text);
        EXPECT_FALSE(parsed) << text;
        if (!parsed) {
            EXPECT_EQ(parsed.error().kind, ErrorKind::config) << text;
            EXPECT_NE(parsed.error().message.find("expected a duration like"), std::string::npos) << text;
        }
    }
}

TEST(Duration, RejectsZeroUnlessAllowed)
{
    auto zero = parse_duration("0s");
    ASSERT_FALSE(zero);
    EXPECT_EQ(zero.error().message, "duration \"0s\" must be more than zero");
    EXPECT_EQ(*parse_duration("0s", true), 0ms);
    EXPECT_EQ(*parse_duration("0d", true), 0ms);
}

TEST(Duration, TreatsEveryWrittenZeroAsZero)
{
    for (const char* text : {"0ms", "00s", "0m", "000h", "0d"}) {
        auto refused = parse_duration(text);
        ASSERT_FALSE(refused) << text;
        EXPECT_EQ(refused.error().kind, ErrorKind::config) << text;
        EXPECT_EQ(refused.error().message, std::string("duration \"") + text + "\" must be more than zero");
        EXPECT_EQ(*parse_duration(text, true), 0ms) << text;
    }
    // allow_zero does not open the door to malformed values.
    EXPECT_FALSE(parse_duration("-0s", true));
    EXPECT_FALSE(parse_duration("0", true));
}

TEST(Duration, RejectsValuesThatOverflow)
{
    auto days = parse_duration("999999999999999d");
    ASSERT_FALSE(days);
    EXPECT_EQ(days.error().message, "duration \"999999999999999d\" is too long");
    auto digits = parse_duration("99999999999999999999999ms");
    ASSERT_FALSE(digits);
    EXPECT_NE(digits.error().message.find("too long"), std::string::npos);
}

TEST(Duration, AcceptsTheLargestValueEachUnitCanHold)
{
    // Milliseconds are a signed 64-bit count: 9223372036854775807 ms, or 106751991167 whole days.
    EXPECT_EQ(*parse_duration("9223372036854775807ms"), Duration::max());
    EXPECT_EQ(parse_duration("9223372036854775808ms").error().message,
              "duration \"9223372036854775808ms\" is too long");
    EXPECT_EQ(*parse_duration("106751991167d"), std::chrono::hours(24LL * 106751991167));
    EXPECT_EQ(parse_duration("106751991168d").error().message, "duration \"106751991168d\" is too long");
    EXPECT_EQ(*parse_duration("2562047788015h"), std::chrono::hours(2562047788015));
    EXPECT_FALSE(parse_duration("2562047788016h"));
    EXPECT_EQ(parse_duration("106751991168d").error().kind, ErrorKind::config);
}

TEST(Duration, FormatsTheLargestExactUnit)
{
    EXPECT_EQ(format_duration(90000ms), "90s");
    EXPECT_EQ(format_duration(7200000ms), "2h");
    EXPECT_EQ(format_duration(120s), "2m");
    EXPECT_EQ(format_duration(90min), "90m");
    EXPECT_EQ(format_duration(48h), "2d");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(1ms), "1ms");
    EXPECT_EQ(format_duration(0ms), "0s");
}

TEST(Duration, FormatsWhatItParses)
{
    for (const char* text : {"500ms", "30s", "5m", "2h", "7d", "1001ms", "61s", "25h"}) {
        EXPECT_EQ(format_duration(*parse_duration(text)), text);
    }
}

TEST(Duration, ParsesWhatItFormats)
{
    for (Duration duration : {Duration(1), Duration(999), Duration(1000), Duration(59999), Duration(60000),
                              Duration(3600000), Duration(86400000), Duration(86400001), Duration::max()}) {
        auto parsed = parse_duration(format_duration(duration));
        ASSERT_TRUE(parsed) << format_duration(duration);
        EXPECT_EQ(*parsed, duration) << format_duration(duration);
    }
    EXPECT_EQ(format_duration(Duration::max()), "9223372036854775807ms");
}

} // namespace
} // namespace ringsnap
