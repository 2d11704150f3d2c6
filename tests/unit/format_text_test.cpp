// The text writer of `reach ping`: iputils ping's and hping3's exact words, so scripts that parse
// those tools parse ours.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "format/ping_writer.hpp"
#include "packets.hpp"

namespace reach::format {
namespace {

using model::EventType;
using model::Method;
using model::PingSummary;
using model::ProbeEvent;

constexpr TimeNs kMs = kNsPerMs;
constexpr std::uint8_t kSyn = 0x02, kRst = 0x04, kAck = 0x10;

using test::ip;

PingRunInfo run_info(Method m, std::vector<model::Target> targets = {{"host.example", ip("198.18.0.2")}},
                     std::uint16_t port = 0, std::size_t payload = 56) {
  PingRunInfo info;
  info.method = m;
  info.port = port;
  info.payload = payload;
  info.socket = "raw";
  info.targets = std::move(targets);
  return info;
}

struct Out {
  std::ostringstream out, err;
  std::unique_ptr<PingWriter> w;
  explicit Out(const PingRunInfo& info, TextOptions o = {}) : w(make_text_writer(out, err, o)) {
    w->start(info);
    out.str("");  // tests below look at what follows the header
  }
};

ProbeEvent reply(std::uint32_t seq, TimeNs rtt, int ttl = 64, std::uint32_t bytes = 64) {
  ProbeEvent e;
  e.type = EventType::reply;
  e.seq = seq;
  e.from = ip("198.18.0.2");
  e.rtt = rtt;
  e.ttl = ttl;
  e.bytes = bytes;
  e.when = 1'700'000'000 * kNsPerSec;
  return e;
}

// ---- headers ------------------------------------------------------------------------------------

struct HeaderCase {
  const char* name;
  Method method;
  const char* addr;
  std::uint16_t port;
  std::size_t payload;
  const char* line;
};

class FormatTextHeader : public ::testing::TestWithParam<HeaderCase> {};

TEST_P(FormatTextHeader, Line) {
  const auto& c = GetParam();
  std::ostringstream out, err;
  auto w = make_text_writer(out, err, {});
  w->start(run_info(c.method, {{"host.example", ip(c.addr)}}, c.port, c.payload));
  EXPECT_EQ(out.str(), std::string(c.line) + "\n");
  EXPECT_EQ(err.str(), "");
}

INSTANTIATE_TEST_SUITE_P(
    Methods, FormatTextHeader,
    ::testing::Values(
        HeaderCase{"icmp4", Method::icmp, "198.18.0.2", 0, 56, "PING host.example (198.18.0.2) 56(84) bytes of data."},
        HeaderCase{"icmp6", Method::icmp, "2001:db8::2", 0, 56, "PING host.example (2001:db8::2) 56(104) bytes of data."},
        HeaderCase{"icmp_big", Method::icmp, "198.18.0.2", 0, 1472,
                   "PING host.example (198.18.0.2) 1472(1500) bytes of data."},
        HeaderCase{"tcp", Method::tcp_syn, "198.18.0.2", 80, 0,
                   "PING host.example (198.18.0.2) tcp port 80: S set, 44 headers + 0 data bytes"},
        HeaderCase{"connect", Method::tcp_connect, "198.18.0.2", 443, 0,
                   "PING host.example (198.18.0.2) tcp port 443: connect()"},
        HeaderCase{"udp", Method::udp, "198.18.0.2", 33434, 56,
                   "PING host.example (198.18.0.2) udp port 33434: 56 data bytes"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(FormatText, OneHeaderPerTarget) {
  std::ostringstream out, err;
  auto w = make_text_writer(out, err, {});
  w->start(run_info(Method::icmp, {{"a", ip("198.18.0.2")}, {"b", ip("198.18.0.3")}}));
  EXPECT_EQ(out.str(),
            "PING a (198.18.0.2) 56(84) bytes of data.\n"
            "PING b (198.18.0.3) 56(84) bytes of data.\n");
}

// ---- per-probe lines -------------------------------------------------------------------------------

struct RttCase {
  TimeNs rtt;
  const char* text;
};

class FormatTextRtt : public ::testing::TestWithParam<RttCase> {};

TEST_P(FormatTextRtt, PingReplyLine) {
  Out o(run_info(Method::icmp));
  o.w->event(reply(1, GetParam().rtt));
  EXPECT_EQ(o.out.str(), std::string("64 bytes from 198.18.0.2: icmp_seq=1 ttl=64 time=") + GetParam().text + " ms\n");
}

INSTANTIATE_TEST_SUITE_P(Rtts, FormatTextRtt,
                         ::testing::Values(RttCase{10'061'000, "10.061"}, RttCase{123'456, "0.123"},
                                           RttCase{999'999, "1.000"}, RttCase{0, "0.000"},
                                           RttCase{1'500'000'000, "1500.000"}, RttCase{20'041'170, "20.041"}));

TEST(FormatText, ReplyLineExactlyAsPing) {
  Out o(run_info(Method::icmp));
  o.w->event(reply(1, 10'061'000));
  auto r = reply(2, 20 * kMs, 61);
  o.w->event(r);
  EXPECT_EQ(o.out.str(),
            "64 bytes from 198.18.0.2: icmp_seq=1 ttl=64 time=10.061 ms\n"
            "64 bytes from 198.18.0.2: icmp_seq=2 ttl=61 time=20.000 ms\n");
}

TEST(FormatText, UnknownTtlIsLeftOut) {
  Out o(run_info(Method::icmp));
  o.w->event(reply(3, 1 * kMs, -1, 1480));
  EXPECT_EQ(o.out.str(), "1480 bytes from 198.18.0.2: icmp_seq=3 time=1.000 ms\n");
}

TEST(FormatText, DuplicateAndLateMarks) {
  Out o(run_info(Method::icmp));
  auto d = reply(1, 10'061'000);
  d.duplicate = true;
  o.w->event(d);
  auto l = reply(2, 2500 * kMs);
  l.late = true;
  o.w->event(l);
  EXPECT_EQ(o.out.str(),
            "64 bytes from 198.18.0.2: icmp_seq=1 ttl=64 time=10.061 ms (DUP!)\n"
            "64 bytes from 198.18.0.2: icmp_seq=2 ttl=64 time=2500.000 ms (LATE)\n");
}

TEST(FormatText, IcmpErrorLine) {
  Out o(run_info(Method::icmp));
  ProbeEvent e;
  e.type = EventType::icmp_error;
  e.seq = 1;
  e.from = ip("198.18.0.254");
  e.rtt = 2 * kMs;
  e.icmp_type = 3;
  e.icmp_code = 13;
  e.icmp_name = "Communication Administratively Prohibited";
  o.w->event(e);
  e.seq = 2;
  e.icmp_code = 1;
  e.icmp_name = "Destination Host Unreachable";
  o.w->event(e);
  EXPECT_EQ(o.out.str(),
            "From 198.18.0.254 icmp_seq=1 Communication Administratively Prohibited\n"
            "From 198.18.0.254 icmp_seq=2 Destination Host Unreachable\n");
}

TEST(FormatText, IcmpErrorNamesTheTargetWhenThereAreSeveral) {
  Out o(run_info(Method::icmp, {{"a", ip("198.18.0.2")}, {"b", ip("198.18.0.3")}}));
  ProbeEvent e;
  e.type = EventType::icmp_error;
  e.target = 1;
  e.seq = 4;
  e.from = ip("198.18.0.254");
  e.icmp_name = "Destination Host Unreachable";
  o.w->event(e);
  EXPECT_EQ(o.out.str(), "From 198.18.0.254 icmp_seq=4 Destination Host Unreachable for 198.18.0.3\n");
}

TEST(FormatText, ConnectFailureUsesTheKernelsReason) {
  Out o(run_info(Method::tcp_connect, {{"host.example", ip("198.18.0.2")}}, 443));
  ProbeEvent e;
  e.type = EventType::icmp_error;
  e.seq = 1;
  e.from = ip("198.18.0.2");
  e.error = "No route to host";
  o.w->event(e);
  EXPECT_EQ(o.out.str(), "From 198.18.0.2 tcp_seq=1 No route to host\n");
}

TEST(FormatText, TimeoutsOnlyWithO) {
  ProbeEvent t;
  t.type = EventType::timeout;
  t.seq = 3;
  {
    Out o(run_info(Method::icmp));
    o.w->event(t);
    EXPECT_EQ(o.out.str(), "");
  }
  {
    TextOptions opts;
    opts.report_timeouts = true;
    Out o(run_info(Method::icmp), opts);
    o.w->event(t);
    // ping -O's words exactly, with one target
    EXPECT_EQ(o.out.str(), "no answer yet for icmp_seq=3\n");
  }
}

TEST(FormatText, SendError) {
  Out o(run_info(Method::icmp));
  ProbeEvent e;
  e.type = EventType::send_error;
  e.seq = 1;
  e.error = "Network is unreachable";
  o.w->event(e);
  EXPECT_EQ(o.out.str(), "send to host.example failed: Network is unreachable (icmp_seq=1)\n");
}

TEST(FormatText, QuietPrintsOnlyHeaderAndSummary) {
  std::ostringstream out, err;
  TextOptions opts;
  opts.quiet = true;
  opts.report_timeouts = true;
  auto w = make_text_writer(out, err, opts);
  w->start(run_info(Method::icmp));
  w->event(reply(1, 10 * kMs));
  ProbeEvent t;
  t.type = EventType::timeout;
  t.seq = 2;
  w->event(t);
  ProbeEvent x;
  x.type = EventType::icmp_error;
  x.seq = 3;
  x.icmp_name = "Destination Host Unreachable";
  w->event(x);
  PingSummary s;
  s.transmitted = 3;
  s.received = 1;
  s.errors = 1;
  s.elapsed = 2010 * kMs;
  s.rtt_min = s.rtt_max = 10 * kMs;
  s.rtt_avg = 10e6;
  w->summary(s);
  EXPECT_EQ(out.str(),
            "PING host.example (198.18.0.2) 56(84) bytes of data.\n"
            "\n--- host.example ping statistics ---\n"
            "3 packets transmitted, 1 received, +1 errors, 66.6667% packet loss, time 2010ms\n"
            "rtt min/avg/max/mdev = 10.000/10.000/10.000/0.000 ms\n");
}

TEST(FormatText, UnixTimePrefixWithD) {
  TextOptions opts;
  opts.timestamps = true;
  auto info = run_info(Method::icmp);
  info.wall_offset = 1'699'999'000 * kNsPerSec;  // event times are monotonic: wall = when + offset
  Out o(info, opts);
  auto r = reply(1, 10'061'000);
  r.when = 1000 * kNsPerSec + 123'456'789;
  o.w->event(r);
  EXPECT_EQ(o.out.str(), "[1700000000.123456] 64 bytes from 198.18.0.2: icmp_seq=1 ttl=64 time=10.061 ms\n");
}

TEST(FormatText, NoticeGoesToStderr) {
  Out o(run_info(Method::icmp));
  o.w->notice("no CAP_NET_RAW: using unprivileged ICMP datagram sockets");
  EXPECT_EQ(o.out.str(), "");
  EXPECT_EQ(o.err.str(), "reach: no CAP_NET_RAW: using unprivileged ICMP datagram sockets\n");
}

// ---- hping3 TCP lines ------------------------------------------------------------------------------

struct HpingCase {
  const char* name;
  const char* addr;
  std::uint32_t ip_len;
  int ttl;
  std::optional<std::uint16_t> id;
  bool df;
  std::uint16_t sport;
  std::uint8_t flags;
  std::uint32_t seq;  // ours, from 1
  std::uint16_t win;
  TimeNs rtt;
  const char* line;
};

class FormatTextHping : public ::testing::TestWithParam<HpingCase> {};

TEST_P(FormatTextHping, Line) {
  const auto& c = GetParam();
  Out o(run_info(Method::tcp_syn, {{"host.example", ip(c.addr)}}, c.sport, 0));
  ProbeEvent e;
  e.type = EventType::reply;
  e.seq = c.seq;
  e.from = ip(c.addr);
  e.ip_len = c.ip_len;
  e.ttl = c.ttl;
  e.ip_id = c.id;
  e.dont_fragment = c.df;
  e.sport = c.sport;
  e.tcp_flags = c.flags;
  e.tcp_window = c.win;
  e.refused = (c.flags & kRst) != 0;
  e.rtt = c.rtt;
  o.w->event(e);
  EXPECT_EQ(o.out.str(), std::string(c.line) + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Replies, FormatTextHping,
    ::testing::Values(
        HpingCase{"syn_ack", "198.18.0.2", 44, 63, 23970, false, 80, kSyn | kAck, 1, 64240, 10'100'000,
                  "len=44 ip=198.18.0.2 ttl=63 id=23970 sport=80 flags=SA seq=0 win=64240 rtt=10.100 ms"},
        HpingCase{"syn_ack_df", "198.18.0.2", 44, 64, 0, true, 80, kSyn | kAck, 1, 64240, 10'061'000,
                  "len=44 ip=198.18.0.2 ttl=64 DF id=0 sport=80 flags=SA seq=0 win=64240 rtt=10.061 ms"},
        HpingCase{"rst_ack", "198.18.0.2", 40, 64, 0, true, 81, kRst | kAck, 5, 0, 50'000,
                  "len=40 ip=198.18.0.2 ttl=64 DF id=0 sport=81 flags=RA seq=4 win=0 rtt=0.050 ms"},
        HpingCase{"ipv6_no_id", "2001:db8::2", 64, 58, std::nullopt, false, 80, kSyn | kAck, 3, 65535, 1'000'000,
                  "len=64 ip=2001:db8::2 ttl=58 sport=80 flags=SA seq=2 win=65535 rtt=1.000 ms"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(FormatText, ConnectLines) {
  Out o(run_info(Method::tcp_connect, {{"host.example", ip("198.18.0.2")}}, 443));
  ProbeEvent e;
  e.type = EventType::reply;
  e.seq = 1;
  e.from = ip("198.18.0.2");
  e.sport = 443;
  e.rtt = 1'234'567;
  o.w->event(e);
  e.seq = 2;
  e.refused = true;
  e.rtt = 300'000;
  o.w->event(e);
  EXPECT_EQ(o.out.str(),
            "connected to 198.18.0.2 port 443: tcp_seq=1 time=1.235 ms\n"
            "refused by 198.18.0.2 port 443 (closed): tcp_seq=2 time=0.300 ms\n");
}

TEST(FormatText, UdpLines) {
  Out o(run_info(Method::udp, {{"host.example", ip("198.18.0.2")}}, 33434));
  ProbeEvent e;
  e.type = EventType::reply;
  e.seq = 1;
  e.from = ip("198.18.0.2");
  e.sport = 33434;
  e.bytes = 56;
  e.ttl = 64;
  e.rtt = 500'000;
  o.w->event(e);
  ProbeEvent u;
  u.type = EventType::reply;
  u.seq = 2;
  u.from = ip("198.18.0.2");
  u.sport = 33434;
  u.icmp_type = 3;
  u.icmp_code = 3;
  u.icmp_name = "Destination Port Unreachable";
  u.rtt = 200'000;
  o.w->event(u);
  EXPECT_EQ(o.out.str(),
            "56 bytes from 198.18.0.2 port 33434: udp_seq=1 ttl=64 time=0.500 ms\n"
            "From 198.18.0.2 udp_seq=2 Destination Port Unreachable (port closed, host alive) time=0.200 ms\n");
}

// ---- summaries -------------------------------------------------------------------------------------

struct SummaryCase {
  const char* name;
  PingSummary s;
  const char* text;
};

PingSummary sum(std::uint64_t tx, std::uint64_t rx, TimeNs elapsed, std::uint64_t dups = 0, std::uint64_t errors = 0,
                TimeNs mn = 0, double avg = 0, TimeNs mx = 0, double mdev = 0) {
  PingSummary s;
  s.transmitted = tx;
  s.received = rx;
  s.elapsed = elapsed;
  s.duplicates = dups;
  s.errors = errors;
  s.rtt_min = mn;
  s.rtt_avg = avg;
  s.rtt_max = mx;
  s.rtt_mdev = mdev;
  return s;
}

class FormatTextSummary : public ::testing::TestWithParam<SummaryCase> {};

TEST_P(FormatTextSummary, AsPing) {
  Out o(run_info(Method::icmp));
  o.w->summary(GetParam().s);
  EXPECT_EQ(o.out.str(), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FormatTextSummary,
    ::testing::Values(
        SummaryCase{"all_answered", sum(5, 5, 4005 * kMs, 0, 0, 10'061'000, 10.1e6, 10'200'000, 50'000),
                    "\n--- host.example ping statistics ---\n"
                    "5 packets transmitted, 5 received, 0% packet loss, time 4005ms\n"
                    "rtt min/avg/max/mdev = 10.061/10.100/10.200/0.050 ms\n"},
        SummaryCase{"one_of_three", sum(3, 1, 2010 * kMs, 0, 0, 20 * kMs, 20e6, 20 * kMs, 0),
                    "\n--- host.example ping statistics ---\n"
                    "3 packets transmitted, 1 received, 66.6667% packet loss, time 2010ms\n"
                    "rtt min/avg/max/mdev = 20.000/20.000/20.000/0.000 ms\n"},
        SummaryCase{"one_of_seven", sum(7, 1, 6000 * kMs, 0, 0, kMs, 1e6, kMs, 0),
                    "\n--- host.example ping statistics ---\n"
                    "7 packets transmitted, 1 received, 85.7143% packet loss, time 6000ms\n"
                    "rtt min/avg/max/mdev = 1.000/1.000/1.000/0.000 ms\n"},
        SummaryCase{"dups_and_errors", sum(5, 4, 4000 * kMs, 2, 1, kMs, 2.5e6, 4 * kMs, 1'118'034),
                    "\n--- host.example ping statistics ---\n"
                    "5 packets transmitted, 4 received, +2 duplicates, +1 errors, 20% packet loss, time 4000ms\n"
                    "rtt min/avg/max/mdev = 1.000/2.500/4.000/1.118 ms\n"},
        SummaryCase{"nothing_back", sum(3, 0, 2000 * kMs),
                    "\n--- host.example ping statistics ---\n"
                    "3 packets transmitted, 0 received, 100% packet loss, time 2000ms\n"},
        SummaryCase{"errors_only", sum(2, 0, 1000 * kMs, 0, 2),
                    "\n--- host.example ping statistics ---\n"
                    "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1000ms\n"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(FormatText, LateAndIgnoredOnTheirOwnLine) {
  Out o(run_info(Method::icmp));
  auto s = sum(2, 1, 1000 * kMs, 0, 0, kMs, 1e6, kMs, 0);
  s.late = 1;
  s.ignored = 3;
  o.w->summary(s);
  EXPECT_EQ(o.out.str(),
            "\n--- host.example ping statistics ---\n"
            "2 packets transmitted, 1 received, 50% packet loss, time 1000ms\n"
            "rtt min/avg/max/mdev = 1.000/1.000/1.000/0.000 ms\n"
            "1 late replies not counted, 3 malformed or forged packets ignored\n");
}

TEST(FormatText, SummaryOfTheSecondTarget) {
  Out o(run_info(Method::icmp, {{"a", ip("198.18.0.2")}, {"b", ip("198.18.0.3")}}));
  auto s = sum(1, 0, 0);
  s.target = 1;
  o.w->summary(s);
  EXPECT_EQ(o.out.str().substr(0, 27), "\n--- b ping statistics ---\n");
}

TEST(FormatText, LossPercent) {
  EXPECT_DOUBLE_EQ(loss_percent(sum(0, 0, 0)), 0.0);
  EXPECT_DOUBLE_EQ(loss_percent(sum(4, 1, 0)), 75.0);
  EXPECT_DOUBLE_EQ(loss_percent(sum(4, 4, 0)), 0.0);
  EXPECT_DOUBLE_EQ(loss_percent(sum(4, 9, 0)), 0.0);  // never negative
  EXPECT_NEAR(loss_percent(sum(3, 1, 0)), 66.666666, 1e-5);
}

// ping rounds the run time to the nearest millisecond
// ("time %ldms" of 1000 * tv_sec + (tv_nsec + 500000) / 1000000); so do we.
TEST(FormatText, SummaryTimeRoundsLikePing) {
  Out o(run_info(Method::icmp));
  o.w->summary(sum(5, 0, 4005 * kMs + 600'000));
  EXPECT_NE(o.out.str().find(", time 4006ms\n"), std::string::npos) << o.out.str();
}

}  // namespace
}  // namespace reach::format
