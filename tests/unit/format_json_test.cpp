// The NDJSON writer of `reach ping` (docs/JSON.md): one object per line, each with "type" and
// "version": 1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
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
using model::StampSource;
using nlohmann::json;

constexpr TimeNs kMs = kNsPerMs;

using test::ip;

PingRunInfo run_info(Method m, std::uint16_t port = 0) {
  PingRunInfo info;
  info.method = m;
  info.port = port;
  info.payload = m == Method::tcp_syn ? 0 : 56;
  info.socket = m == Method::tcp_connect ? "connect" : "raw";
  info.kernel_timestamps = true;
  info.targets = {{"host.example", ip("198.18.0.2")}, {"2001:db8::2", ip("2001:db8::2")}};
  return info;
}

// Every line is one JSON object with a type and version 1.
std::vector<json> lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    EXPECT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("type") && j["type"].is_string()) << line;
    EXPECT_EQ(j.value("version", 0), 1) << line;
    out.push_back(j);
  }
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  return out;
}

struct Json {
  std::ostringstream out;
  std::unique_ptr<PingWriter> w = make_json_writer(out);
  explicit Json(const PingRunInfo& info) { w->start(info); }
  std::vector<json> all() { return lines(out.str()); }
  json last() {
    auto v = all();
    EXPECT_FALSE(v.empty());
    return v.empty() ? json{} : v.back();
  }
};

TEST(FormatJson, StartPerTarget) {
  Json j(run_info(Method::icmp));
  auto v = j.all();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0]["type"], "start");
  EXPECT_EQ(v[0]["target"], "host.example");
  EXPECT_EQ(v[0]["addr"], "198.18.0.2");
  EXPECT_EQ(v[0]["method"], "icmp");
  EXPECT_EQ(v[0]["payload"], 56);
  EXPECT_EQ(v[0]["socket"], "raw");
  EXPECT_EQ(v[0]["kernel_timestamps"], true);
  EXPECT_FALSE(v[0].contains("port"));
  EXPECT_EQ(v[1]["addr"], "2001:db8::2");

  Json t(run_info(Method::tcp_syn, 80));
  auto s = t.all();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0]["method"], "tcp");
  EXPECT_EQ(s[0]["port"], 80);
}

TEST(FormatJson, Reply) {
  Json j(run_info(Method::icmp));
  ProbeEvent e;
  e.type = EventType::reply;
  e.seq = 1;
  e.from = ip("198.18.0.2");
  e.when = 1'795'318'492'290'000'000;
  e.rtt = 20'041'170;
  e.tx_source = StampSource::kernel;
  e.rx_source = StampSource::user;
  e.ttl = 61;
  e.bytes = 64;
  e.ip_len = 84;
  e.ip_id = 41012;
  j.w->event(e);
  auto r = j.last();
  EXPECT_EQ(r["type"], "reply");
  EXPECT_EQ(r["target"], "host.example");
  EXPECT_EQ(r["addr"], "198.18.0.2");
  EXPECT_EQ(r["seq"], 1);
  EXPECT_EQ(r["from"], "198.18.0.2");
  EXPECT_DOUBLE_EQ(r["rtt_ms"].get<double>(), 20.04117);
  EXPECT_EQ(r["rtt_ns"], 20'041'170);
  EXPECT_TRUE(r["rtt_ns"].is_number_integer());
  EXPECT_EQ(r["tx_timestamp"], "kernel");
  EXPECT_EQ(r["rx_timestamp"], "user");
  EXPECT_EQ(r["dup"], false);
  EXPECT_EQ(r["late"], false);
  EXPECT_EQ(r["ttl"], 61);
  EXPECT_EQ(r["bytes"], 64);
  EXPECT_EQ(r["ip_len"], 84);
  EXPECT_EQ(r["ip_id"], 41012);
  EXPECT_NEAR(r["time"].get<double>(), 1795318492.29, 1e-6);
  EXPECT_FALSE(r.contains("sport"));  // ICMP: no TCP fields
  EXPECT_FALSE(r.contains("icmp_name"));
  EXPECT_FALSE(r.contains("df"));
}

TEST(FormatJson, DuplicateAndLate) {
  Json j(run_info(Method::icmp));
  ProbeEvent e;
  e.type = EventType::reply;
  e.seq = 2;
  e.rtt = kMs;
  e.duplicate = true;
  j.w->event(e);
  e.duplicate = false;
  e.late = true;
  j.w->event(e);
  auto v = j.all();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[2]["dup"], true);
  EXPECT_EQ(v[2]["late"], false);
  EXPECT_EQ(v[3]["dup"], false);
  EXPECT_EQ(v[3]["late"], true);
}

TEST(FormatJson, IcmpError) {
  Json j(run_info(Method::icmp));
  ProbeEvent e;
  e.type = EventType::icmp_error;
  e.target = 1;
  e.seq = 3;
  e.from = ip("2001:db8::fe");
  e.rtt = 2 * kMs;
  e.icmp_type = 1;
  e.icmp_code = 1;
  e.icmp_name = "Destination unreachable: Administratively Prohibited";
  j.w->event(e);
  auto r = j.last();
  EXPECT_EQ(r["type"], "icmp_error");
  EXPECT_EQ(r["target"], "2001:db8::2");
  EXPECT_EQ(r["from"], "2001:db8::fe");
  EXPECT_EQ(r["icmp_type"], 1);
  EXPECT_EQ(r["icmp_code"], 1);
  EXPECT_EQ(r["icmp_name"], "Destination unreachable: Administratively Prohibited");
  EXPECT_EQ(r["rtt_ns"], 2'000'000);
}

TEST(FormatJson, TimeoutAndSendError) {
  auto info = run_info(Method::icmp);
  info.wall_offset = 1'700'000'000 * kNsPerSec;  // event times are monotonic: wall = when + offset
  Json j(info);
  ProbeEvent t;
  t.type = EventType::timeout;
  t.seq = 4;
  t.when = 2 * kNsPerSec;
  j.w->event(t);
  ProbeEvent s;
  s.type = EventType::send_error;
  s.seq = 5;
  s.error = "Network is unreachable";
  j.w->event(s);
  auto v = j.all();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[2]["type"], "timeout");
  EXPECT_EQ(v[2]["seq"], 4);
  EXPECT_DOUBLE_EQ(v[2]["time"].get<double>(), 1700000002.0);
  EXPECT_FALSE(v[2].contains("from"));
  EXPECT_FALSE(v[2].contains("rtt_ms"));
  EXPECT_EQ(v[3]["type"], "send_error");
  EXPECT_EQ(v[3]["error"], "Network is unreachable");
}

TEST(FormatJson, TcpReply) {
  Json j(run_info(Method::tcp_syn, 80));
  ProbeEvent e;
  e.type = EventType::reply;
  e.seq = 1;
  e.from = ip("198.18.0.2");
  e.rtt = 10'100'000;
  e.sport = 80;
  e.tcp_flags = 0x12;
  e.tcp_window = 64240;
  e.dont_fragment = true;
  e.ip_id = 0;
  j.w->event(e);
  auto r = j.last();
  EXPECT_EQ(r["sport"], 80);
  EXPECT_EQ(r["flags"], "SA");
  EXPECT_EQ(r["refused"], false);
  EXPECT_EQ(r["win"], 64240);
  EXPECT_EQ(r["df"], true);
  EXPECT_EQ(r["ip_id"], 0);

  Json c(run_info(Method::tcp_connect, 443));
  e.tcp_flags = 0x14;
  e.refused = true;
  c.w->event(e);
  auto rc = c.last();
  EXPECT_EQ(rc["flags"], "RA");
  EXPECT_EQ(rc["refused"], true);
  EXPECT_FALSE(rc.contains("win"));  // only for --tcp
}

TEST(FormatJson, Summary) {
  Json j(run_info(Method::icmp));
  PingSummary s;
  s.transmitted = 3;
  s.received = 1;
  s.duplicates = 2;
  s.errors = 1;
  s.late = 1;
  s.ignored = 4;
  s.elapsed = 2010 * kMs + 999'999;
  s.rtt_min = s.rtt_max = 20'041'170;
  s.rtt_avg = 20'041'170.0;
  s.rtt_mdev = 0;
  s.all_kernel_stamps = true;
  j.w->summary(s);
  auto r = j.last();
  EXPECT_EQ(r["type"], "summary");
  EXPECT_EQ(r["transmitted"], 3);
  EXPECT_EQ(r["received"], 1);
  EXPECT_EQ(r["duplicates"], 2);
  EXPECT_EQ(r["errors"], 1);
  EXPECT_EQ(r["late"], 1);
  EXPECT_EQ(r["ignored"], 4);
  EXPECT_NEAR(r["loss_pct"].get<double>(), 66.6667, 1e-4);
  EXPECT_EQ(r["time_ms"], 2010);
  EXPECT_DOUBLE_EQ(r["rtt_min_ms"].get<double>(), 20.04117);
  EXPECT_DOUBLE_EQ(r["rtt_avg_ms"].get<double>(), 20.04117);
  EXPECT_DOUBLE_EQ(r["rtt_max_ms"].get<double>(), 20.04117);
  EXPECT_DOUBLE_EQ(r["rtt_mdev_ms"].get<double>(), 0.0);
  EXPECT_EQ(r["timestamps"], "kernel");

  s.all_kernel_stamps = false;
  j.w->summary(s);
  EXPECT_EQ(j.last()["timestamps"], "mixed");

  PingSummary none;
  none.target = 1;
  none.transmitted = 2;
  j.w->summary(none);
  auto n = j.last();
  EXPECT_EQ(n["target"], "2001:db8::2");
  EXPECT_EQ(n["received"], 0);
  EXPECT_DOUBLE_EQ(n["loss_pct"].get<double>(), 100.0);
  EXPECT_FALSE(n.contains("rtt_min_ms"));
  EXPECT_FALSE(n.contains("timestamps"));
}

TEST(FormatJson, Notice) {
  Json j(run_info(Method::icmp));
  j.w->notice("no CAP_NET_RAW: using \"datagram\" sockets\n(see docs)");
  auto r = j.last();
  EXPECT_EQ(r["type"], "notice");
  EXPECT_EQ(r["message"], "no CAP_NET_RAW: using \"datagram\" sockets\n(see docs)");
  EXPECT_EQ(j.all().size(), 3u);  // the embedded newline stayed inside its line
}

TEST(FormatJson, AWholeRunIsNdjson) {
  Json j(run_info(Method::icmp));
  for (std::uint32_t seq = 1; seq <= 3; ++seq) {
    for (std::size_t t = 0; t < 2; ++t) {
      ProbeEvent e;
      e.type = seq == 2 ? EventType::timeout : EventType::reply;
      e.target = t;
      e.seq = seq;
      e.from = ip(t ? "2001:db8::2" : "198.18.0.2");
      if (seq != 2) e.rtt = seq * kMs;
      j.w->event(e);
    }
  }
  for (std::size_t t = 0; t < 2; ++t) {
    PingSummary s;
    s.target = t;
    s.transmitted = 3;
    s.received = 2;
    j.w->summary(s);
  }
  auto v = j.all();
  ASSERT_EQ(v.size(), 2u + 6u + 2u);
  std::vector<std::string> types;
  for (const auto& o : v) types.push_back(o["type"].get<std::string>());
  EXPECT_EQ(types, (std::vector<std::string>{"start", "start", "reply", "reply", "timeout", "timeout", "reply", "reply",
                                             "summary", "summary"}));
  for (const auto& o : v)
    if (o["type"] == "reply") {
      EXPECT_TRUE(o.contains("rtt_ms"));
      EXPECT_TRUE(o.contains("rtt_ns"));
      EXPECT_TRUE(o.contains("tx_timestamp"));
      EXPECT_TRUE(o.contains("rx_timestamp"));
    }
}

// nlohmann's dump() throws on invalid UTF-8 unless told otherwise; a target name or a notice can
// carry bytes the user typed (e.g. a Latin-1 name in /etc/hosts), and no exception may escape.
TEST(FormatJson, InvalidUtf8NeverThrows) {
  PingRunInfo info = run_info(Method::icmp);
  info.targets[0].name = "caf\xe9";
  std::ostringstream out;
  auto w = make_json_writer(out);
  EXPECT_NO_THROW(w->start(info));
  EXPECT_NO_THROW(w->notice("cannot resolve caf\xe9"));
  for (const auto& j : lines(out.str())) EXPECT_TRUE(j.contains("type"));
}

}  // namespace
}  // namespace reach::format
