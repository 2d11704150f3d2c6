#include <gtest/gtest.h>

#include "format/syslog5424.hpp"
#include "watch_events.hpp"

namespace reach::format {
namespace {

using K = model::WatchEvent::Kind;
constexpr TimeNs kT = 1796032800LL * kNsPerSec + 123456789;  // 2026-11-30T10:00:00.123456789Z

model::WatchEvent firing() { return testing::firing_event(kT); }

const SyslogOptions kOpts{3, "mon1.example.net", "reach", "4242", 32473};

TEST(Syslog5424, FiringLine) {
  EXPECT_EQ(syslog5424(firing(), kOpts),
            "<27>1 2026-11-30T10:00:00.123456Z mon1.example.net reach 4242 firing [reach@32473 target=\"web1\" "
            "alert=\"down\" from=\"up\" to=\"down\" since=\"2026-11-30T09:59:57.123456Z\" reason=\"timed out\"] "
            "alert down firing for web1: timed out");
}

TEST(Syslog5424, PriorityFromFacilityAndSeverity) {
  struct Case {
    K kind;
    model::TargetState to;
    int facility, pri;
  } cases[] = {
      {K::firing, model::TargetState::down, 3, 27},        {K::reminder, model::TargetState::down, 3, 27},
      {K::resolved, model::TargetState::up, 3, 29},        {K::state_change, model::TargetState::down, 3, 28},
      {K::state_change, model::TargetState::up, 3, 29},    {K::flapping, model::TargetState::down, 3, 28},
      {K::error, model::TargetState::unknown, 3, 27},      {K::firing, model::TargetState::down, 16, 131},  // local0
      {K::firing, model::TargetState::down, 23, 187},      {K::firing, model::TargetState::down, 99, 187},  // clamped
  };
  for (const auto& c : cases) {
    model::WatchEvent e = firing();
    e.kind = c.kind;
    e.to = c.to;
    SyslogOptions o = kOpts;
    o.facility = c.facility;
    EXPECT_TRUE(syslog5424(e, o).starts_with("<" + std::to_string(c.pri) + ">1 ")) << syslog5424(e, o);
  }
}

TEST(Syslog5424, EscapingNilValuesAndUtf8) {
  model::WatchEvent e = firing();
  e.target = "a\"b\\c]d";
  e.reason = "line1\nline2";
  SyslogOptions o;
  o.app_name = "re ach";  // no spaces in header fields
  std::string line = syslog5424(e, o);
  EXPECT_NE(line.find(" - re_ach - firing "), std::string::npos) << line;
  EXPECT_NE(line.find("target=\"a\\\"b\\\\c\\]d\""), std::string::npos) << line;
  EXPECT_NE(line.find("reason=\"line1 line2\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find("\xEF\xBB\xBF"), std::string::npos);  // ASCII: no BOM
  e.target = "wëb";
  line = syslog5424(e, o);
  EXPECT_NE(line.find("] \xEF\xBB\xBF" "alert down firing for wëb"), std::string::npos) << line;
  o.hostname = std::string(300, 'h');
  line = syslog5424(e, o);
  EXPECT_NE(line.find(" " + std::string(255, 'h') + " "), std::string::npos);
  EXPECT_EQ(line.find(std::string(256, 'h')), std::string::npos);
}

TEST(Syslog5424, ErrorEventHasNoStates) {
  model::WatchEvent e;
  e.kind = K::error;
  e.wall = kT;
  e.reason = "history: disk full";
  EXPECT_EQ(syslog5424(e, kOpts),
            "<27>1 2026-11-30T10:00:00.123456Z mon1.example.net reach 4242 error [reach@32473 "
            "reason=\"history: disk full\"] error: history: disk full");
}

TEST(Syslog5424, OctetCounting) {
  EXPECT_EQ(syslog_octet_counted("<27>1 x"), "7 <27>1 x");
  EXPECT_EQ(syslog_octet_counted("wëb"), "4 wëb");  // octets, not characters
  EXPECT_EQ(syslog_octet_counted(""), "0 ");
}

}  // namespace
}  // namespace reach::format
