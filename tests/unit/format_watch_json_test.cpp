#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "format/watch_json.hpp"
#include "watch_events.hpp"

namespace reach::format {
namespace {

using K = model::WatchEvent::Kind;
constexpr TimeNs kT = 1796032800LL * kNsPerSec + 250 * kNsPerMs;  // 2026-11-30T10:00:00.25Z

TEST(WatchJson, EventLines) {
  model::WatchEvent e = testing::firing_event(kT);
  EXPECT_EQ(watch_event_json(e),
            R"({"alert":"down","duration_s":3.0,"from":"up","reason":"timed out","since":1796032797.25,)"
            R"("target":"web1","time":1796032800.25,"timestamp":"2026-11-30T10:00:00.250000Z","to":"down",)"
            R"("type":"firing","version":1})"
            "\n");
  model::WatchEvent err;
  err.kind = K::error;
  err.wall = kT;
  err.reason = "history: disk full";
  EXPECT_EQ(watch_event_json(err),
            R"({"reason":"history: disk full","time":1796032800.25,"timestamp":"2026-11-30T10:00:00.250000Z",)"
            R"("type":"error","version":1})"
            "\n");
  struct Case {
    K kind;
    const char* type;
  } kinds[] = {{K::state_change, "state_change"}, {K::resolved, "resolved"}, {K::reminder, "reminder"},
               {K::flapping, "flapping"}};
  for (const auto& c : kinds) {
    e.kind = c.kind;
    EXPECT_EQ(nlohmann::json::parse(watch_event_json(e))["type"], c.type);
  }
}

TEST(WatchJson, RoundNumbersAreNumbers) {
  model::RoundResult r;
  r.target = "web1";
  r.addr = "198.18.1.2";
  r.start_wall = kT;
  r.duration = 4 * kNsPerSec + 500 * kNsPerMs;
  r.sent = 5;
  r.received = 4;
  r.success = true;
  r.rtts = {1000000, 2000000, 3000000, 6000000};
  r.reply_ttl = 61;
  r.phases = {{"resolve", 0}, {"rtt", 2500000}};
  auto j = nlohmann::json::parse(watch_round_json(r));
  EXPECT_EQ(j["type"], "round");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["probe"], "icmp");
  EXPECT_EQ(j["loss_pct"], 20.0);
  EXPECT_EQ(j["duration_ms"], 4500.0);
  EXPECT_EQ(j["rtt_min_ms"], 1.0);
  EXPECT_EQ(j["rtt_median_ms"], 2.5);
  EXPECT_EQ(j["rtt_max_ms"], 6.0);
  EXPECT_NEAR(j["rtt_stddev_ms"].get<double>(), 1.8708, 1e-4);
  EXPECT_EQ(j["rtts_ns"].dump(), "[1000000,2000000,3000000,6000000]");
  EXPECT_EQ(j["phases_ms"]["rtt"], 2.5);
  EXPECT_EQ(j["reply_ttl"], 61);
  EXPECT_FALSE(j.contains("http_status"));
  for (const char* k : {"time", "sent", "received", "loss_pct", "duration_ms", "rtt_median_ms", "reply_ttl"})
    EXPECT_TRUE(j[k].is_number()) << k;
}

TEST(WatchJson, LostRoundHttpAndDns) {
  model::RoundResult r;
  r.target = "site";
  r.probe = model::WatchProbe::http;
  r.sent = 1;
  r.reason = "connection refused";
  auto j = nlohmann::json::parse(watch_round_json(r));
  EXPECT_EQ(j["success"], false);
  EXPECT_EQ(j["loss_pct"], 100.0);
  EXPECT_EQ(j["reason"], "connection refused");
  EXPECT_EQ(j["http_status"], 0);
  EXPECT_FALSE(j.contains("rtt_min_ms"));
  EXPECT_FALSE(j.contains("addr"));
  EXPECT_FALSE(j.contains("http_version"));
  r.probe = model::WatchProbe::dns;
  r.dns_rcode = 3;
  j = nlohmann::json::parse(watch_round_json(r));
  EXPECT_EQ(j["dns_rcode"], 3);
  // Bytes that are not UTF-8 (a peer's reason) are replaced, never thrown.
  r.reason = "bad \xff byte";
  EXPECT_NO_THROW({
    auto parsed = nlohmann::json::parse(watch_round_json(r));
    EXPECT_TRUE(parsed.is_object());
  });
}

}  // namespace
}  // namespace reach::format

namespace reach::format {
namespace {

TEST(WatchJson, NetnsNamedInEveryObjectOnlyWhenGiven) {
  model::RoundResult r;
  r.target = "web1";
  r.start_wall = 1796032800250000000;
  EXPECT_FALSE(nlohmann::json::parse(watch_round_json(r)).contains("netns"));
  EXPECT_EQ(nlohmann::json::parse(watch_round_json(r, "blue"))["netns"], "blue");
  model::WatchEvent e;
  e.target = "web1";
  e.wall = r.start_wall;
  EXPECT_FALSE(nlohmann::json::parse(watch_event_json(e)).contains("netns"));
  EXPECT_EQ(nlohmann::json::parse(watch_event_json(e, "pid:42"))["netns"], "pid:42");
}

}  // namespace
}  // namespace reach::format
