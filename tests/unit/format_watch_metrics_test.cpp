#include <gtest/gtest.h>

#include "format/watch_metrics.hpp"

namespace reach::format {
namespace {

model::TargetMetrics target(std::string name) {
  model::TargetMetrics t;
  t.name = std::move(name);
  return t;
}

TEST(WatchMetrics, LabelNamesAConfigMayAdd) {
  struct Case {
    const char* name;
    bool ok;
  } cases[] = {{"site", true}, {"rack_2", true}, {"target", false}, {"probe", false}, {"alert", false},
               {"state", false}, {"notifier", false}, {"job", false}, {"instance", false}, {"__x", false},
               {"a-b", false}, {"", false}};
  for (const auto& c : cases) EXPECT_EQ(watch_label_allowed(c.name), c.ok) << c.name;
}

TEST(WatchMetrics, SeriesOfOneTarget) {
  model::TargetMetrics t = target("web1");
  t.labels = {{"site", "fra"}};
  t.state = model::TargetState::down;
  t.rounds = 10;
  t.rounds_failed = 3;
  t.packets_sent = 50;
  t.packets_received = 40;
  t.last_success_wall = 1764500000 * kNsPerSec + 500 * kNsPerMs;
  t.alerts = {{"down", true}};
  model::RoundResult r;
  r.sent = 5;
  r.received = 0;
  r.duration = 1 * kNsPerSec;
  t.last = r;
  auto body = write_watch_metrics({t}, {}, prom::Format::text);
  ASSERT_TRUE(body);
  const std::string l = "{target=\"web1\",probe=\"icmp\",site=\"fra\"}";
  for (std::string want : {"reach_watch_up" + l + " 0\n", "reach_watch_loss_ratio" + l + " 1\n",
                           "reach_watch_probe_duration_seconds" + l + " 1\n", "reach_watch_rounds_total" + l + " 10\n",
                           "reach_watch_rounds_failed_total" + l + " 3\n",
                           "reach_watch_packets_sent_total" + l + " 50\n",
                           "reach_watch_packets_received_total" + l + " 40\n",
                           "reach_watch_last_success_timestamp_seconds" + l + " 1.7645000005e+09\n",
                           std::string("reach_watch_state{target=\"web1\",probe=\"icmp\",site=\"fra\",state=\"down\"} 1\n"),
                           std::string("reach_watch_state{target=\"web1\",probe=\"icmp\",site=\"fra\",state=\"up\"} 0\n"),
                           std::string("reach_watch_alert_firing{target=\"web1\",probe=\"icmp\",site=\"fra\",alert=\"down\"} 1\n"),
                           std::string("reach_watch_targets 0\n"), std::string("reach_watch_history_write_errors_total 0\n"),
                           std::string("reach_watch_config_last_reload_successful 1\n")})
    EXPECT_NE(body->find(want), std::string::npos) << want << *body;
  // No replies: no RTT series (absent, not 0); no TLS: no expiry series.
  EXPECT_EQ(body->find("reach_watch_rtt_"), std::string::npos);
  EXPECT_EQ(body->find("reach_watch_tls_cert_expiry"), std::string::npos);
}

TEST(WatchMetrics, BeforeTheFirstRoundOnlyCountersAndState) {
  auto body = write_watch_metrics({target("new")}, {}, prom::Format::text);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->find("reach_watch_up"), std::string::npos);
  EXPECT_EQ(body->find("reach_watch_loss_ratio"), std::string::npos);
  EXPECT_NE(body->find("reach_watch_rounds_total{target=\"new\",probe=\"icmp\"} 0\n"), std::string::npos);
  EXPECT_NE(body->find("state=\"unknown\"} 1\n"), std::string::npos);
}

TEST(WatchMetrics, RttsAndTlsFromTheLastRound) {
  model::TargetMetrics t = target("site");
  t.probe = model::WatchProbe::http;
  model::RoundResult r;
  r.sent = r.received = 1;
  r.success = true;
  r.rtts = {25 * kNsPerMs};
  r.tls = true;
  r.tls_not_after = 1767225600;
  t.last = r;
  auto body = write_watch_metrics({t}, {}, prom::Format::text);
  ASSERT_TRUE(body);
  const std::string l = "{target=\"site\",probe=\"http\"}";
  EXPECT_NE(body->find("reach_watch_rtt_min_seconds" + l + " 0.025\n"), std::string::npos);
  EXPECT_NE(body->find("reach_watch_rtt_median_seconds" + l + " 0.025\n"), std::string::npos);
  EXPECT_NE(body->find("reach_watch_tls_cert_expiry_timestamp_seconds" + l + " 1.7672256e+09\n"), std::string::npos);
}

TEST(WatchMetrics, ProcessSeriesAndOpenMetrics) {
  model::WatchProcessMetrics p{2, {{"hook", 7, 2, 1}}, 4, false, 0};
  auto body = write_watch_metrics({}, p, prom::Format::openmetrics);
  ASSERT_TRUE(body);
  for (const char* want :
       {"# TYPE reach_watch_notifications_sent counter\n", "reach_watch_notifications_sent_total{notifier=\"hook\"} 7.0\n",
        "reach_watch_notifications_failed_total{notifier=\"hook\"} 2.0\n",
        "reach_watch_notifications_queued{notifier=\"hook\"} 1.0\n", "reach_watch_history_write_errors_total 4.0\n",
        "reach_watch_config_last_reload_successful 0.0\n", "reach_watch_targets 2.0\n"})
    EXPECT_NE(body->find(want), std::string::npos) << want << *body;
  EXPECT_EQ(body->find("reach_watch_config_last_reload_success_timestamp_seconds"), std::string::npos);
  EXPECT_TRUE(body->ends_with("# EOF\n"));
}

TEST(WatchMetrics, UncheckedConfigLabelIsAnErrorNotABadBody) {
  model::TargetMetrics t = target("a");
  t.labels = {{"target", "x"}};
  auto body = write_watch_metrics({t}, {}, prom::Format::text);
  ASSERT_FALSE(body);
  EXPECT_NE(body.error().message().find("target"), std::string::npos);
}

}  // namespace
}  // namespace reach::format
