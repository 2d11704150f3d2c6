// Alertmanager payloads against what a real Alertmanager 0.25 wrote to a webhook receiver and
// accepted on /api/v2/alerts (tests/unit/golden/alertmanager/, capture.py there).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "format/alertmanager.hpp"
#include "format/wall_time.hpp"

namespace reach::format {
namespace {

using Json = nlohmann::ordered_json;
using K = model::WatchEvent::Kind;

constexpr TimeNs kStart = 1796032800LL * kNsPerSec + 500 * kNsPerMs;  // 2026-11-30T10:00:00.5Z
constexpr TimeNs kEnd = 1796033100LL * kNsPerSec;                    // 2026-11-30T10:05:00Z

Json golden(const std::string& name) {
  std::ifstream in(std::string(REACH_GOLDEN_DIR) + "/alertmanager/" + name);
  return Json::parse(in);
}

AlertInput alert(K kind) {
  AlertInput a;
  a.event.kind = kind;
  a.event.target = "web1";
  a.event.alert = "down";
  a.event.from = kind == K::resolved ? model::TargetState::down : model::TargetState::up;
  a.event.to = kind == K::resolved ? model::TargetState::up : model::TargetState::down;
  a.event.reason = "timed out";
  a.event.since_wall = kStart;
  a.event.wall = kind == K::resolved ? kEnd : kStart + 3 * kNsPerSec;
  a.labels = {{"probe", "icmp"}, {"severity", "critical"}};
  return a;
}

const WebhookContext kCtx{"hook", "http://127.0.0.1:9798"};

TEST(AlertmanagerWebhook, FiringAsTheRealAlertmanagerSendsIt) {
  Json want = golden("webhook_firing.json");
  want["externalURL"] = kCtx.external_url;  // the sender's own URL: Alertmanager's there, watch's here
  EXPECT_EQ(Json::parse(alertmanager_webhook({alert(K::firing)}, kCtx)).dump(), want.dump());
}

TEST(AlertmanagerWebhook, ResolvedAsTheRealAlertmanagerSendsIt) {
  Json want = golden("webhook_resolved.json");
  want["externalURL"] = kCtx.external_url;
  EXPECT_EQ(Json::parse(alertmanager_webhook({alert(K::resolved)}, kCtx)).dump(), want.dump());
}

TEST(AlertmanagerWebhook, GroupsOnlyWhatAllAlertsShare) {
  AlertInput a = alert(K::firing), b = alert(K::reminder), c = alert(K::resolved);
  b.event.target = "web2";
  b.labels = {{"probe", "tcp"}};
  model::WatchEvent state;  // not an alert: left out
  state.kind = K::state_change;
  Json j = Json::parse(alertmanager_webhook({a, b, c, AlertInput{state, {}}}, kCtx));
  ASSERT_EQ(j["alerts"].size(), 3u);
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["alerts"][1]["status"], "firing");  // a reminder is the alert still firing
  EXPECT_EQ(j["groupLabels"].dump(), R"({"alertname":"down"})");
  EXPECT_EQ(j["commonLabels"].dump(), R"({"alertname":"down"})");
  EXPECT_EQ(j["commonAnnotations"].dump(), R"({"description":"timed out"})");
  EXPECT_EQ(j["groupKey"], "{}:{alertname=\"down\"}");
  EXPECT_NE(j["alerts"][0]["fingerprint"], j["alerts"][1]["fingerprint"]);
  EXPECT_EQ(j["alerts"][0]["fingerprint"], j["alerts"][2]["fingerprint"]);  // same labels, same alert
}

TEST(AlertmanagerWebhook, EscapingAndUrls) {
  AlertInput a = alert(K::firing);
  a.event.target = "we\"b 1/x";
  a.labels = {{"alertname", "spoof"}, {"target", "spoof"}};  // cannot replace reach's own
  Json j = Json::parse(alertmanager_webhook({a}, kCtx));
  EXPECT_EQ(j["alerts"][0]["labels"]["alertname"], "down");
  EXPECT_EQ(j["alerts"][0]["labels"]["target"], "we\"b 1/x");
  EXPECT_EQ(j["alerts"][0]["generatorURL"], "http://127.0.0.1:9798/api/v1/targets/we%22b%201%2Fx");
  EXPECT_EQ(j["groupKey"], "{}:{alertname=\"down\", target=\"we\\\"b 1/x\"}");
  EXPECT_EQ(alert_generator_url("", "x"), "");
  EXPECT_EQ(alert_generator_url("http://h:1/", "x"), "http://h:1/api/v1/targets/x");
}

TEST(AlertmanagerWebhook, Fingerprint) {
  EXPECT_EQ(alertmanager_fingerprint({{"alertname", "down"}, {"probe", "icmp"}, {"severity", "critical"},
                                      {"target", "web1"}}),
            "e88a1f1eb07c1d7d");  // the real Alertmanager's, in the golden files
  EXPECT_EQ(alertmanager_fingerprint({}), "cbf29ce484222325");  // FNV-64 offset basis
}

TEST(AlertmanagerApiV2, TheBodyTheRealAlertmanagerAccepted) {
  // Compared as parsed JSON: Alertmanager reads objects, key order is not part of the API.
  nlohmann::json want = nlohmann::json::parse(golden("api_v2_alerts.json").dump());
  nlohmann::json ours = nlohmann::json::parse(
      alertmanager_v2_alerts({alert(K::firing), alert(K::resolved)}, "http://127.0.0.1:9798", 0));
  EXPECT_EQ(ours, want);
  nlohmann::json kept = nlohmann::json::parse(
      alertmanager_v2_alerts({alert(K::firing)}, "http://127.0.0.1:9798", 4 * 60 * kNsPerSec));
  EXPECT_EQ(kept[0]["endsAt"], "2026-11-30T10:04:03.5Z");  // event time + 4 min
  EXPECT_EQ(alertmanager_v2_alerts({}, "", 0), "[]");
}

TEST(WallTime, Layouts) {
  struct Case {
    TimeNs t;
    const char* nano;
    const char* micro;
    const char* mail;
  } cases[] = {
      {0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z", "Thu, 01 Jan 1970 00:00:00 +0000"},
      {kStart, "2026-11-30T10:00:00.5Z", "2026-11-30T10:00:00.500000Z", "Mon, 30 Nov 2026 10:00:00 +0000"},
      {951782400LL * kNsPerSec + 123456789, "2000-02-29T00:00:00.123456789Z", "2000-02-29T00:00:00.123456Z",
       "Tue, 29 Feb 2000 00:00:00 +0000"},
      {-1, "1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999Z", "Wed, 31 Dec 1969 23:59:59 +0000"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(rfc3339_nano(c.t), c.nano);
    EXPECT_EQ(rfc3339_micro(c.t), c.micro);
    EXPECT_EQ(rfc5322_date(c.t), c.mail);
  }
}

}  // namespace
}  // namespace reach::format
