// The three writers of `reach scan`: nmap-style text with folding, NDJSON, nmap -oG lines.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "format/scan_writer.hpp"

namespace reach::format {
namespace {

using model::PortReason;
using model::PortResult;
using model::PortState;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }

PortResult port(const char* addr, std::uint16_t p, PortState s, PortReason r, int ttl = 64, const char* from = nullptr) {
  PortResult x;
  x.addr = ip(addr);
  x.port = p;
  x.state = s;
  x.reason = r;
  x.ttl = ttl;
  x.from = ip(from ? from : addr);
  return x;
}

// Host A: 22 open (ssh), 81 filtered by a router, 30 closed; host B: 80 open, 443 closed.
std::vector<PortResult> scene() {
  std::vector<PortResult> v;
  v.push_back(port("198.18.0.2", 22, PortState::open, PortReason::syn_ack));
  v.back().service = "ssh";
  for (std::uint16_t p = 100; p < 130; ++p) v.push_back(port("198.18.0.2", p, PortState::closed, PortReason::rst));
  v.push_back(port("198.18.0.2", 8081, PortState::filtered, PortReason::admin_prohibited, 63, "198.18.0.1"));
  v.push_back(port("198.18.0.3", 80, PortState::open, PortReason::syn_ack));
  v.push_back(port("198.18.0.3", 443, PortState::closed, PortReason::rst));
  return v;
}

model::ScanSummary summary() {
  model::ScanSummary s;
  s.addresses = 4;
  s.hosts_up = 2;
  s.ports = 32;
  s.probes = 128;
  s.sent = 130;
  s.replies = 66;
  s.ignored = 3;
  s.passes = 2;
  s.elapsed = 250 * kNsPerMs;
  return s;
}

TEST(ScanText, TablePerHostWithFoldedClosedPorts) {
  std::ostringstream out, err;
  auto w = make_scan_text_writer(out, err);
  w->start({"syn", 4, 32, 1000, 3, 7, {}});
  w->results(scene());
  w->summary(summary());
  std::string t = out.str();
  EXPECT_NE(t.find("Scan report for 198.18.0.2\nNot shown: 30 closed tcp ports (30 reset)\n"), std::string::npos) << t;
  EXPECT_NE(t.find("22/tcp      open      ssh             syn-ack ttl 64\n"), std::string::npos) << t;
  EXPECT_NE(t.find("8081/tcp    filtered  unknown         admin-prohibited ttl 63 from 198.18.0.1\n"), std::string::npos)
      << t;
  EXPECT_EQ(t.find("100/tcp"), std::string::npos) << t;
  // Host B has one closed port: listed, not folded.
  EXPECT_NE(t.find("443/tcp     closed    unknown         reset ttl 64\n"), std::string::npos) << t;
  EXPECT_NE(t.find("4 addresses (2 up), 32 ports each, scanned in 0.25 s: 130 sent in 2 passes, 66 replies, 0 "
                   "duplicates, 3 ignored\n"),
            std::string::npos)
      << t;
  EXPECT_TRUE(err.str().empty());
}

TEST(ScanJson, OpenAndFilteredPortsThenAHostLine) {
  std::ostringstream out;
  auto w = make_scan_json_writer(out);
  w->start({"syn", 4, 32, 1000, 3, 7, {}});
  w->notice("hello");
  w->results(scene());
  w->summary(summary());
  std::vector<nlohmann::json> lines;
  std::istringstream in(out.str());
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 1u + 1 + 2 + 1 + 1 + 1 + 1);
  for (const auto& j : lines) EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(lines[0]["type"], "start");
  EXPECT_EQ(lines[0]["seed"], 7);
  EXPECT_EQ(lines[1]["type"], "notice");
  EXPECT_EQ(lines[2]["type"], "port");
  EXPECT_EQ(lines[2]["port"], 22);
  EXPECT_EQ(lines[2]["state"], "open");
  EXPECT_EQ(lines[2]["reason"], "syn-ack");
  EXPECT_EQ(lines[2]["service"], "ssh");
  EXPECT_FALSE(lines[2].contains("from"));
  EXPECT_EQ(lines[3]["reason"], "admin-prohibited");
  EXPECT_EQ(lines[3]["from"], "198.18.0.1");
  EXPECT_EQ(lines[4]["type"], "host");
  EXPECT_EQ(lines[4]["open"], 1);
  EXPECT_EQ(lines[4]["closed"], 30);
  EXPECT_EQ(lines[4]["filtered"], 1);
  EXPECT_EQ(lines[5]["port"], 80);
  EXPECT_EQ(lines[6]["type"], "host");
  EXPECT_EQ(lines[6]["closed"], 1);
  EXPECT_EQ(lines[7]["type"], "summary");
  EXPECT_EQ(lines[7]["ignored"], 3);
  EXPECT_EQ(lines[7]["time_ms"], 250);
}

TEST(ScanGrep, OneLinePerHostAsNmap) {
  std::ostringstream out, err;
  auto w = make_scan_grep_writer(out, err);
  w->start({"syn", 4, 32, 1000, 3, 7, {}});
  w->results(scene());
  std::istringstream in(out.str());
  std::vector<std::string> hosts;
  for (std::string l; std::getline(in, l);)
    if (l.rfind("Host: ", 0) == 0) hosts.push_back(l);
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0], "Host: 198.18.0.2 ()\tPorts: 22/open/tcp//ssh///, 8081/filtered/tcp/////\tIgnored State: closed (30)");
  EXPECT_EQ(hosts[1], "Host: 198.18.0.3 ()\tPorts: 80/open/tcp/////\tIgnored State: closed (1)");
}

TEST(ScanNames, EveryReasonHasAName) {
  for (int r = 0; r <= static_cast<int>(PortReason::local_error); ++r)
    EXPECT_STRNE(port_reason_name(static_cast<PortReason>(r)), "?") << r;
}

}  // namespace
}  // namespace reach::format
