// `reach watch --nagios` and `--mrtg` output (MRTG's own reading of it: mrtg_check.sh).
#include <gtest/gtest.h>

#include <sstream>

#include "format/watch_mrtg.hpp"
#include "format/watch_nagios.hpp"

namespace reach::format {
namespace {

model::RoundResult icmp_round(int sent, std::vector<TimeNs> rtts) {
  model::RoundResult r;
  r.target = "web1";
  r.addr = "198.18.1.2";
  r.sent = sent;
  r.received = static_cast<int>(rtts.size());
  r.rtts = std::move(rtts);
  r.success = r.received > 0;
  if (!r.success) r.reason = "timed out";
  return r;
}

TEST(WatchNagios, StatesFromThresholds) {
  WatchNagiosThresholds t{0.010, 0.050, 20.0, 60.0};
  struct Case {
    model::RoundResult r;
    NagiosState want;
  } cases[] = {
      {icmp_round(5, {1 * kNsPerMs, 2 * kNsPerMs, 3 * kNsPerMs, 4 * kNsPerMs, 5 * kNsPerMs}), NagiosState::ok},
      {icmp_round(5, {20 * kNsPerMs}), NagiosState::critical},                 // 80 % loss
      {icmp_round(5, {20 * kNsPerMs, 20 * kNsPerMs, 20 * kNsPerMs, 20 * kNsPerMs}), NagiosState::warning},  // rta
      {icmp_round(5, {60 * kNsPerMs, 60 * kNsPerMs, 60 * kNsPerMs, 60 * kNsPerMs, 60 * kNsPerMs}),
       NagiosState::critical},
      {icmp_round(5, {}), NagiosState::critical},  // failed round
      {icmp_round(10, {1, 1, 1, 1, 1, 1, 1}), NagiosState::warning},  // 30 % loss
  };
  for (const auto& c : cases) EXPECT_EQ(watch_nagios_state(c.r, t), c.want) << c.r.received;
  EXPECT_EQ(watch_nagios_state(icmp_round(5, {20 * kNsPerMs}), {}), NagiosState::ok);  // no thresholds
}

TEST(WatchNagios, OneIcmpTargetLikeCheckIcmp) {
  std::ostringstream out;
  int code = write_watch_nagios(
      out, {icmp_round(5, {1 * kNsPerMs, 2 * kNsPerMs, 3 * kNsPerMs, 6 * kNsPerMs})}, {0.2, 0.5, 40.0, 80.0});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.str(),
            "WATCH OK: web1 198.18.1.2 icmp: 4/5 replies, loss 20%, rta 3.000 ms | 'rta'=3.000ms;200.000;500.000;0; "
            "'pl'=20%;40;80;0;100 'rtmax'=6.000ms;;;0; 'rtmin'=1.000ms;;;0; 'rtmedian'=2.500ms;;;0;\n");
}

TEST(WatchNagios, DownTargetAndOtherProbes) {
  model::RoundResult down = icmp_round(5, {});
  down.reason = "no route | to host";
  model::RoundResult web;
  web.target = "site";
  web.probe = model::WatchProbe::http;
  web.sent = web.received = 1;
  web.success = true;
  web.rtts = {12345 * kNsPerUs};
  web.http_status = 200;
  web.body_length = 17;
  std::ostringstream out;
  int code = write_watch_nagios(out, {down, web}, {});
  EXPECT_EQ(code, 2);
  EXPECT_EQ(out.str(),
            "WATCH CRITICAL: 1 of 2 targets ok, not ok: web1 | 'web1_rta'=U;;;0; 'web1_pl'=100%;;;0;100 "
            "'site_time'=0.012345s;;;0; 'site_size'=17B;;;0;\n"
            "CRITICAL web1 198.18.1.2 icmp: 0/5 replies, loss 100%, no route \\x7c to host\n");
  std::ostringstream none;
  EXPECT_EQ(write_watch_nagios(none, {}, {}), 3);
  EXPECT_EQ(none.str(), "WATCH UNKNOWN: no targets\n");
}

TEST(WatchNagios, LabelsWithQuotesAndSpaces) {
  model::RoundResult a = icmp_round(1, {kNsPerMs}), b = a;
  a.target = "it's a=b";
  std::ostringstream out;
  write_watch_nagios(out, {a, b}, {});
  EXPECT_NE(out.str().find("'it''s a_b_rta'=1.000ms"), std::string::npos) << out.str();
}

TEST(WatchMrtg, FourLines) {
  EXPECT_EQ(watch_mrtg(icmp_round(5, {1000 * kNsPerUs, 2500 * kNsPerUs, 9 * kNsPerMs, 1 * kNsPerMs}),
                       (86400 + 61) * kNsPerSec, "web1"),
            "1750\n20\n1 day, 00:01:01\nweb1\n");
  EXPECT_EQ(watch_mrtg(icmp_round(3, {}), 5 * kNsPerSec, "a\nb"), "UNKNOWN\n100\n00:00:05\na b\n");
  EXPECT_EQ(watch_mrtg(std::nullopt, 0, "new"), "UNKNOWN\nUNKNOWN\n00:00:00\nnew\n");
  EXPECT_EQ(mrtg_uptime((2 * 86400 + 3 * 3600 + 4 * 60 + 5) * kNsPerSec), "2 days, 03:04:05");
  EXPECT_EQ(mrtg_uptime(-5), "00:00:00");
}

}  // namespace
}  // namespace reach::format
