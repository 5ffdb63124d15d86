// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <ringsnap/text_table.hpp>

namespace ringsnap {
namespace {

TEST(TextTable, AlignsColumnsWithTwoSpacesAndNoTrailingBlanks)
{
    TextTable table({"DC", "HOST", "OUTPUT"});
    table.add_row({"dc1", "10.0.0.1", "ok"});
    table.add_row({"dc22", "h", ""});
    EXPECT_EQ(table.render(),
              "DC    HOST      OUTPUT\n"
              "dc1   10.0.0.1  ok\n"
              "dc22  h\n");
}

TEST(TextTable, CountsUtf8CharactersOnceForAlignment)
{
    TextTable table({"A", "B"});
    table.add_row({"é", "x"});
    table.add_row({"ab", "y"});
    EXPECT_EQ(table.render(), "A   B\né   x\nab  y\n");
}

TEST(TextTable, ShortRowsLeaveCellsEmpty)
{
    TextTable table({"A", "B", "C"});
    table.add_row({"1"});
    EXPECT_EQ(table.render(), "A  B  C\n1\n");
}

} // namespace
} // namespace ringsnap
