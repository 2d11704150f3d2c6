// Trace writers: traceroute's hop lines (several responders, stars, !X flags), NDJSON events,
// and the mtr-like report table.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "format/trace_writer.hpp"
#include "packets.hpp"

namespace reach::format {
namespace {

using model::TraceAnswer;
using test::ip;

model::TraceProbe answered(int ttl, int index, const char* from, double ms, TraceAnswer a = TraceAnswer::time_exceeded) {
  model::TraceProbe p;
  p.ttl = ttl;
  p.index = index;
  p.answer = a;
  p.from = ip(from);
  p.rtt = static_cast<TimeNs>(ms * 1e6);
  p.tx_source = p.rx_source = model::StampSource::kernel;
  return p;
}

model::TraceProbe lost(int ttl, int index) {
  model::TraceProbe p;
  p.ttl = ttl;
  p.index = index;
  return p;
}

TraceRunInfo info(bool numeric) {
  TraceRunInfo i;
  i.name = "server";
  i.target = ip("198.18.9.2");
  i.source = ip("198.18.0.1");
  i.port = 33434;
  i.packet_len = 60;
  i.socket = "raw";
  i.numeric = numeric;
  return i;
}

NameOf names() {
  return [](const IpAddr& a) -> std::optional<std::string> {
    if (a == ip("216.239.62.171")) return std::string("r1.example");
    return std::nullopt;
  };
}

TEST(TraceText, HeaderAsTraceroute) {
  std::ostringstream out, err;
  auto w = make_trace_text_writer(out, err);
  w->start(info(false));
  EXPECT_EQ(out.str(), "traceroute to server (198.18.9.2), 30 hops max, 60 byte packets\n");
}

TEST(TraceText, SeveralRespondersEachOnTheirOwnLine) {
  std::ostringstream out, err;
  auto w = make_trace_text_writer(out, err);
  w->start(info(false));
  out.str("");
  model::TraceHop h{7, {answered(7, 0, "216.239.62.171", 12.802), answered(7, 1, "216.239.62.169", 12.647),
                        answered(7, 2, "216.239.62.169", 12.963)}};
  w->hop(h, names());
  EXPECT_EQ(out.str(),
            " 7  r1.example (216.239.62.171)  12.802 ms\n"
            "    216.239.62.169 (216.239.62.169)  12.647 ms  12.963 ms\n");
}

TEST(TraceText, StarsAndFlagsNumeric) {
  std::ostringstream out, err;
  auto w = make_trace_text_writer(out, err);
  w->start(info(true));
  out.str("");
  w->hop({2, {lost(2, 0), lost(2, 1), lost(2, 2)}}, names());
  auto x = answered(3, 1, "198.18.2.1", 0.5, TraceAnswer::unreachable);
  x.flag = "!X";
  w->hop({3, {lost(3, 0), x, lost(3, 2)}}, names());
  EXPECT_EQ(out.str(),
            " 2  * * *\n"
            " 3  * 198.18.2.1  0.500 ms !X *\n");
}

TEST(TraceText, MplsLabelStackAsTracerouteE) {
  std::ostringstream out, err;
  auto w = make_trace_text_writer(out, err);
  w->start(info(true));
  out.str("");
  auto a = answered(4, 0, "198.18.3.1", 1.0);
  a.mpls = {{24001, 0, false, 1}, {16, 5, true, 1}};
  auto b = answered(4, 1, "198.18.3.1", 1.5);
  b.mpls = a.mpls;
  w->hop({4, {a, b}}, names());
  EXPECT_EQ(out.str(), " 4  198.18.3.1 <MPLS:L=24001,E=0,S=0,T=1/L=16,E=5,S=1,T=1>  1.000 ms  1.500 ms\n");
  std::ostringstream js;
  auto j = make_trace_json_writer(js);
  j->start(info(true));
  j->probe(a);
  auto line = js.str().substr(js.str().find('\n') + 1);
  auto ev = nlohmann::json::parse(line);
  ASSERT_EQ(ev["mpls"].size(), 2u);
  EXPECT_EQ(ev["mpls"][0]["label"], 24001);
  EXPECT_EQ(ev["mpls"][1]["s"], true);
  EXPECT_EQ(ev["mpls"][1]["tc"], 5);
}

TEST(TraceJson, ProbeHopAndPathEvents) {
  std::ostringstream out;
  auto w = make_trace_json_writer(out);
  w->start(info(true));
  auto p = answered(1, 0, "198.18.0.2", 0.25);
  w->probe(p);
  w->probe(lost(1, 1));
  model::TraceHop h{1, {p, lost(1, 1)}};
  w->hop(h, names());
  model::TraceResult r;
  r.hops = {h};
  r.reached = true;
  r.final_ttl = 1;
  r.counters.sent = 2;
  r.counters.wrong_flow = 3;
  w->end(r, names());
  std::istringstream in(out.str());
  std::string line;
  std::vector<nlohmann::json> evs;
  while (std::getline(in, line)) evs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(evs.size(), 5u);
  for (const auto& e : evs) EXPECT_EQ(e["version"], 1);
  EXPECT_EQ(evs[0]["type"], "start");
  EXPECT_EQ(evs[0]["method"], "udp");
  EXPECT_EQ(evs[0]["paris"], true);
  EXPECT_EQ(evs[1]["type"], "probe");
  EXPECT_EQ(evs[1]["answer"], "time_exceeded");
  EXPECT_EQ(evs[1]["from"], "198.18.0.2");
  EXPECT_DOUBLE_EQ(evs[1]["rtt_ms"].get<double>(), 0.25);
  EXPECT_EQ(evs[1]["rtt_ns"], 250000);
  EXPECT_EQ(evs[2]["answer"], "timeout");
  EXPECT_FALSE(evs[2].contains("from"));
  EXPECT_EQ(evs[3]["type"], "hop");
  EXPECT_EQ(evs[3]["timeouts"], 1);
  EXPECT_EQ(evs[3]["responders"][0]["addr"], "198.18.0.2");
  EXPECT_EQ(evs[4]["type"], "path");
  EXPECT_EQ(evs[4]["reached"], true);
  EXPECT_EQ(evs[4]["wrong_flow"], 3);
  EXPECT_EQ(evs[4]["hops"][0]["responders"][0]["rtts_ms"].size(), 1u);
}

TEST(TraceReport, MtrColumns) {
  std::vector<model::TraceReportRow> rows(3);
  rows[0] = {1, true, ip("198.18.0.2"), 5, 5, 5, 0.1, 0.12, 0.1, 0.2, 0.04};
  rows[1] = {2, true, std::nullopt, 5, 0, 0, 0, 0, 0, 0, 0};
  rows[2] = {3, true, ip("198.18.2.2"), 5, 4, 4, 1.0, 1.0, 1.0, 1.0, 0.0};
  std::ostringstream out;
  write_trace_report_text(out, "client", rows, nullptr);
  std::istringstream in(out.str());
  std::string l0, l1, l2, l3;
  std::getline(in, l0);
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  EXPECT_EQ(l0.rfind("HOST: client", 0), 0u);
  EXPECT_NE(l0.find("Loss%   Snt   Last   Avg  Best  Wrst StDev"), std::string::npos);
  EXPECT_EQ(l1.rfind("  1.|-- 198.18.0.2", 0), 0u) << l1;
  EXPECT_NE(l1.find("  0.0%     5    0.1   0.1   0.1   0.2   0.0"), std::string::npos) << l1;
  EXPECT_NE(l2.find("???"), std::string::npos);
  EXPECT_NE(l2.find("100.0%"), std::string::npos);
  EXPECT_NE(l3.find(" 20.0%"), std::string::npos) << l3;
}

}  // namespace
}  // namespace reach::format
