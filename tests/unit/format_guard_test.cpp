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

// `--list --json`: whether the kernel set holds each saved ban (a table deleted from outside
// left the list saying nothing of it), and no guess when the sets could not be read.
TEST(GuardJson, ListSaysWhetherTheKernelHoldsTheBan) {
  model::GuardBan b;
  b.prefix = *parse_prefix("198.18.6.6/32");
  b.duration = b.until = 3600 * kNsPerSec;
  b.origin = model::GuardBanOrigin::manual;
  b.reason = "manual ban";
  const std::string head = R"({"type":"ban","version":1,"timestamp":"1970-01-01T00:00:00.000000Z","prefix":"198.18.6.6/32",)"
                           R"("duration_s":3600.0,"until":"1970-01-01T01:00:00.000000Z","offence":1,"count":0,"rule":"",)"
                           R"("form":"","origin":"manual","reason":"manual ban","dry_run":false)";
  EXPECT_EQ(guard_list_json(b, 0, true), head + R"(,"in_kernel":true})" + "\n");
  EXPECT_EQ(guard_list_json(b, 0, false), head + R"(,"in_kernel":false})" + "\n");
  EXPECT_EQ(guard_list_json(b, 0, std::nullopt), head + "}\n");
  EXPECT_EQ(guard_ban_json(b, 0, false), head + "}\n");  // the daemon's decisions: no such field
}

}  // namespace
}  // namespace reach::format
