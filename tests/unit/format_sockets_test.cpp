// `reach sockets` writers: netstat columns, NDJSON rows, the summary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "format/sockets_writer.hpp"

namespace reach::format {
namespace {

using model::SockProto;
using model::SocketRow;

std::vector<SocketRow> sample() {
  SocketRow l;
  l.proto = SockProto::tcp;
  l.family = Family::v4;
  l.state = model::kListen;
  l.local = *IpAddr::parse("0.0.0.0");
  l.peer = *IpAddr::parse("0.0.0.0");
  l.local_port = 22;
  l.send_q = 128;
  l.uid = 0;
  l.inode = 1234;
  l.owners.push_back({101, "sshd", 3});
  SocketRow e;
  e.proto = SockProto::tcp;
  e.family = Family::v6;
  e.state = model::kEstablished;
  e.local = *IpAddr::parse("::ffff:198.18.0.2");
  e.peer = *IpAddr::parse("::ffff:198.18.0.1");
  e.local_port = 80;
  e.peer_port = 41000;
  e.recv_q = 3000;
  e.inode = 99;
  e.netns = "lab-a";
  SocketRow u;
  u.proto = SockProto::udp;
  u.family = Family::v6;
  u.state = model::kClose;
  u.local = *IpAddr::parse("2001:db8::2");
  u.peer = *IpAddr::parse("::");
  u.local_port = 5353;
  return {l, e, u};
}

TEST(FormatSockets, NetstatColumns) {
  std::ostringstream out;
  SocketsTextOptions o;
  o.scope = SocketsTextOptions::Scope::all;
  o.programs = true;
  write_sockets_text(out, sample(), o);
  EXPECT_EQ(out.str(),
            "Active Internet connections (servers and established)\n"
            "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n"
            "tcp        0    128 0.0.0.0:22              0.0.0.0:*               LISTEN      101/sshd\n"
            "tcp6    3000      0 198.18.0.2:80           198.18.0.1:41000        ESTABLISHED -\n"
            "udp6       0      0 2001:db8::2:5353        :::*                                -\n");
}

TEST(FormatSockets, ExtendedAndNetnsColumns) {
  std::ostringstream out;
  SocketsTextOptions o;
  o.extended = true;
  o.netns = true;
  write_sockets_text(out, sample(), o);
  std::string s = out.str();
  EXPECT_NE(s.find("(w/o servers)"), std::string::npos);
  EXPECT_NE(s.find("State       User       Inode      Netns\n"), std::string::npos) << s;
  EXPECT_NE(s.find("LISTEN      0          1234       -\n"), std::string::npos) << s;
  EXPECT_NE(s.find("ESTABLISHED -          99         lab-a\n"), std::string::npos) << s;
}

TEST(FormatSockets, JsonRows) {
  std::ostringstream out;
  write_sockets_json(out, sample());
  std::istringstream in(out.str());
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& j : rows) {
    EXPECT_EQ(j["type"], "socket");
    EXPECT_EQ(j["version"], 1);
  }
  EXPECT_EQ(rows[0]["proto"], "tcp");
  EXPECT_EQ(rows[0]["family"], "ipv4");
  EXPECT_EQ(rows[0]["state"], "LISTEN");
  EXPECT_EQ(rows[0]["listening"], true);
  EXPECT_EQ(rows[0]["local_port"], 22);
  EXPECT_EQ(rows[0]["processes"][0]["pid"], 101);
  EXPECT_EQ(rows[0]["processes"][0]["program"], "sshd");
  EXPECT_FALSE(rows[0].contains("netns"));
  EXPECT_EQ(rows[1]["local_addr"], "::ffff:198.18.0.2");
  EXPECT_EQ(rows[1]["recv_q"], 3000);
  EXPECT_EQ(rows[1]["netns"], "lab-a");
  EXPECT_TRUE(rows[1]["processes"].empty());
  EXPECT_EQ(rows[2]["state"], "CLOSE");
  EXPECT_EQ(rows[2]["listening"], true);
}

TEST(FormatSockets, Summary) {
  std::ostringstream out;
  write_sockets_summary_text(out, sample());
  const std::string s = out.str();
  EXPECT_NE(s.find("Total: 3\n"), std::string::npos) << s;
  EXPECT_NE(s.find("TCP       2         1         1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("UDP       1         0         1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("TCP states: ESTABLISHED 1, LISTEN 1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("UDP states: UNCONN 1\n"), std::string::npos) << s;
  std::ostringstream js;
  write_sockets_summary_json(js, sample());
  auto j = nlohmann::json::parse(js.str());
  EXPECT_EQ(j["type"], "summary");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(j["protocols"]["tcp"]["states"]["LISTEN"], 1);
  EXPECT_EQ(j["protocols"]["udp"]["ipv6"], 1);
}

}  // namespace
}  // namespace reach::format
