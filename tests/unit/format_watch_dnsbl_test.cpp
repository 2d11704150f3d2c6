// A dnsbl target's per-zone series on /metrics and its zones in the round event.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "format/watch_json.hpp"
#include "format/watch_metrics.hpp"

namespace reach::format {
namespace {

model::DnsblOutcome zone(const char* name, model::DnsblStatus s) {
  model::DnsblOutcome o;
  o.zone = name;
  o.status = s;
  return o;
}

model::RoundResult round() {
  model::RoundResult r;
  r.target = "mx1";
  r.probe = model::WatchProbe::dnsbl;
  r.dnsbl = {zone("a.example", model::DnsblStatus::listed), zone("b.example", model::DnsblStatus::not_listed),
             zone("c.example", model::DnsblStatus::error)};
  r.dnsbl[0].codes = {"127.0.0.2"};
  r.dnsbl[0].txt = "spam";
  r.dnsbl[0].time = 2 * kNsPerMs;
  return r;
}

TEST(WatchDnsblExports, PerZoneSeries) {
  model::TargetMetrics t;
  t.name = "mx1";
  t.probe = model::WatchProbe::dnsbl;
  t.last = round();
  auto body = write_watch_metrics({t}, {}, prom::Format::text);
  ASSERT_TRUE(body);
  const std::string l = "{target=\"mx1\",probe=\"dnsbl\",zone=";
  EXPECT_NE(body->find("reach_watch_dnsbl_listed" + l + "\"a.example\"} 1\n"), std::string::npos) << *body;
  EXPECT_NE(body->find("reach_watch_dnsbl_listed" + l + "\"b.example\"} 0\n"), std::string::npos) << *body;
  EXPECT_EQ(body->find("reach_watch_dnsbl_listed" + l + "\"c.example\"}"), std::string::npos) << *body;
  EXPECT_NE(body->find("reach_watch_dnsbl_zone_error" + l + "\"c.example\"} 1\n"), std::string::npos) << *body;
  EXPECT_NE(body->find("reach_watch_dnsbl_zone_error" + l + "\"a.example\"} 0\n"), std::string::npos) << *body;
}

TEST(WatchDnsblExports, NoDnsblTargetNoDnsblSeries) {
  model::TargetMetrics t;
  t.name = "web";
  t.last = model::RoundResult{};
  auto body = write_watch_metrics({t}, {}, prom::Format::text);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->find("dnsbl"), std::string::npos);
}

TEST(WatchDnsblExports, RoundEventNamesTheZones) {
  model::RoundResult r = round();
  r.no_verdict = true;
  auto j = nlohmann::json::parse(watch_round_json(r));
  ASSERT_EQ(j["dnsbl"].size(), 3u);
  EXPECT_EQ(j["dnsbl"][0]["zone"], "a.example");
  EXPECT_EQ(j["dnsbl"][0]["result"], "listed");
  EXPECT_EQ(j["dnsbl"][0]["codes"][0], "127.0.0.2");
  EXPECT_EQ(j["dnsbl"][0]["txt"], "spam");
  EXPECT_DOUBLE_EQ(j["dnsbl"][0]["time_ms"].get<double>(), 2.0);
  EXPECT_EQ(j["dnsbl"][1]["result"], "not-listed");
  EXPECT_EQ(j["dnsbl"][2]["result"], "error");
  EXPECT_EQ(j["no_verdict"], true);
}

}  // namespace
}  // namespace reach::format
