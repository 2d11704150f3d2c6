// guard's human output: the --test-rule summary, whose counts must add up.
#include <gtest/gtest.h>

#include <string>

#include "format/guard_json.hpp"

namespace reach::format {
namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// "24 lines read, 20 matched, 4 missed, 1 over the line limit" read as 25 lines: the skipped
// lines are said as a part of the missed ones.
TEST(GuardText, TestRuleSummaryCountsAddUp) {
  model::RuleTestReport r;
  r.lines = 24;
  r.matched = 20;
  r.too_long = 1;
  EXPECT_EQ(first_line(guard_test_rule_text(r, "auth.log", false)),
            "Lines: 24 lines read from auth.log, 20 matched, 4 missed (of which 1 over the line limit, skipped)");
  r.unparsed = 2;
  EXPECT_EQ(first_line(guard_test_rule_text(r, "relay.log", false)),
            "Lines: 24 lines read from relay.log, 20 matched, 4 missed (of which 1 over the line limit, skipped; 2 "
            "refused by the relay rule: not JSON, or a forged event)");
  r.too_long = r.unparsed = 0;
  EXPECT_EQ(first_line(guard_test_rule_text(r, "auth.log", false)), "Lines: 24 lines read from auth.log, 20 matched, 4 missed");
}

}  // namespace
}  // namespace reach::format
