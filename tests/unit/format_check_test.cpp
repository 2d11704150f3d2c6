#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "format/check_writer.hpp"

namespace reach::format {
namespace {

using model::CheckOutcome;
using model::CheckStatus;

CheckOutcome row(std::string name, CheckStatus s, bool ok, std::optional<TimeNs> t) {
  CheckOutcome o;
  o.name = name;
  o.endpoint = name;
  o.status = s;
  o.ok = ok;
  o.time = t;
  o.reason = ok ? "connected" : "connection refused (RST)";
  o.attempts = 1;
  return o;
}

// '|' starts the perfdata and a newline the long output: neither may come from a name or a
// server's words; escape codes neither.
TEST(CheckNagios, StatusTextEscapesPipeNewlineAndControls) {
  CheckOutcome o = row("web|x", CheckStatus::http_status, false, std::nullopt);
  o.endpoint = "http://198.18.0.2/";
  o.reason = "HTTP 500 Oops | x=1\nsecond \x1b[2J";
  std::ostringstream out;
  write_check_nagios(out, {o}, {});
  std::string text = out.str();
  std::string first = text.substr(0, text.find('\n'));
  EXPECT_EQ(std::count(first.begin(), first.end(), '|'), 1) << first;
  EXPECT_NE(first.find("web\\x7cx"), std::string::npos) << first;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("Oops \\x7c x=1\\x0asecond \\x1b[2J"), std::string::npos) << text;
  std::ostringstream unknown;
  write_nagios_unknown(unknown, "bad | thing");
  EXPECT_EQ(unknown.str(), "CHECK UNKNOWN: bad \\x7c thing\n");
}

TEST(CheckText, ServerWordsAreEscaped) {
  CheckOutcome o = row("node\x1b]0;pwned\x07", CheckStatus::http_status, false, std::nullopt);
  o.reason = "HTTP 500 \x1b[31mred";
  std::ostringstream out;
  write_check_text(out, {o}, {});
  EXPECT_EQ(out.str().find('\x1b'), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\\x1b[31mred"), std::string::npos) << out.str();
}

TEST(CheckNagios, StatesByThresholds) {
  std::vector<CheckOutcome> ok{row("a", CheckStatus::open, true, 12 * kNsPerMs),
                               row("b", CheckStatus::open, true, 600 * kNsPerMs)};
  NagiosThresholds none;
  EXPECT_EQ(nagios_state(ok, none), NagiosState::ok);
  NagiosThresholds t{0.5, 1.0, std::nullopt, std::nullopt};
  EXPECT_EQ(nagios_state(ok, t), NagiosState::warning);
  t.crit_seconds = 0.55;
  EXPECT_EQ(nagios_state(ok, t), NagiosState::critical);
  auto some = ok;
  some.push_back(row("c", CheckStatus::refused, false, std::nullopt));
  EXPECT_EQ(nagios_state(some, none), NagiosState::critical);  // any failure by default
  NagiosThresholds counts{std::nullopt, std::nullopt, 0u, 1u};
  EXPECT_EQ(nagios_state(some, counts), NagiosState::warning);
  some.push_back(row("d", CheckStatus::timeout, false, std::nullopt));
  EXPECT_EQ(nagios_state(some, counts), NagiosState::critical);
}

TEST(CheckNagios, FirstLineAndPerfdata) {
  std::vector<CheckOutcome> rows{row("web 'one'", CheckStatus::open, true, 12 * kNsPerMs),
                                 row("a=b", CheckStatus::refused, false, std::nullopt)};
  std::ostringstream out;
  int code = write_check_nagios(out, rows, NagiosThresholds{0.5, 1.0, std::nullopt, std::nullopt});
  EXPECT_EQ(code, 2);
  EXPECT_EQ(out.str(),
            "CHECK CRITICAL: 1 of 2 endpoints ok, 1 failed (a=b refused) | 'web ''one'''=0.012000s;0.5;1;0; "
            "'a_b'=U;0.5;1;0; 'failed'=1;;0;0;2\n"
            "a=b (a=b): refused, connection refused (RST)\n");
  std::ostringstream unk;
  EXPECT_EQ(write_nagios_unknown(unk, "bad port"), 3);
  EXPECT_EQ(unk.str(), "CHECK UNKNOWN: bad port\n");
}

TEST(CheckText, TableAndSummary) {
  std::vector<CheckOutcome> rows{row("web1", CheckStatus::open, true, 1500 * kNsPerUs),
                                 row("web2", CheckStatus::refused, false, 20 * kNsPerUs)};
  std::ostringstream out;
  write_check_text(out, rows, {2, 1, 1, kNsPerSec / 4});
  EXPECT_EQ(out.str(),
            "NAME  ENDPOINT  RESULT   TIME     REASON\n"
            "web1  web1      open     1.5ms    connected\n"
            "web2  web2      refused  0.020ms  connection refused (RST)\n"
            "2 endpoints: 1 ok, 1 failed (0.25s)\n");
}

TEST(CheckJson, ObjectsAndSummary) {
  auto r = row("web1", CheckStatus::prohibited, false, std::nullopt);
  r.addr = IpAddr::parse("198.18.1.2");
  r.port = 80;
  r.icmp = model::IcmpSeen{3, 13, false, IpAddr::parse("198.18.0.2")};
  r.must_pass = true;
  r.from = "proxy";
  std::ostringstream out;
  write_check_json(out, {r}, {1, 0, 1, 2 * kNsPerMs});
  EXPECT_EQ(out.str(),
            R"j({"type":"check","version":1,"name":"web1","endpoint":"web1","kind":"tcp","port":80,"result":"prohibited",)j"
            R"j("ok":false,"reason":"connection refused (RST)","attempts":1,"addr":"198.18.1.2","icmp_type":3,"icmp_code":13,)j"
            R"j("icmp_from":"198.18.0.2","expect":"pass","from":"proxy"})j"
            "\n"
            R"j({"type":"summary","version":1,"total":1,"ok":0,"failed":1,"elapsed_ms":2.0})j"
            "\n");
}

}  // namespace
}  // namespace reach::format
