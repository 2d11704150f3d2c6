#pragma once
// watch's alerts in Alertmanager's two JSON shapes (Alertmanager 0.25 as the reference; its real
// webhook output is in tests/unit/golden/alertmanager/, captured by capture.py there):
//   - the webhook payload, version "4", that Alertmanager POSTs to webhook receivers — so any
//     receiver written for Alertmanager takes reach's notifications unchanged;
//   - the body of POST /api/v2/alerts (an array of postable alerts), so watch can hand its
//     alerts to a real Alertmanager for routing, silences and inhibition.
// Times are RFC 3339 in UTC (Go's RFC3339Nano); a firing alert's endsAt in the webhook is Go's
// zero time "0001-01-01T00:00:00Z", as Alertmanager writes it. Fingerprints are Alertmanager's:
// FNV-1a 64 over the sorted label names and values, each followed by 0xff, as 16 hex digits.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/watch.hpp"

namespace reach::format {

// One alert: a firing, reminder (sent as firing) or resolved event and the labels it carries
// besides alertname (the rule) and target (e.g. probe and the target's config labels).
struct AlertInput {
  model::WatchEvent event;
  std::vector<std::pair<std::string, std::string>> labels;
};

struct WebhookContext {
  std::string receiver = "reach";  // the notifier's name
  std::string external_url;        // watch's own URL ("http://198.18.0.1:9798"), may be empty
};

// Labels of an alert: alertname, target, then `labels` (an extra label never replaces those two).
std::map<std::string, std::string> alert_labels(const AlertInput& a);
// Annotations: summary ("web1 is down", "web1 is up again") and description (the reason).
std::map<std::string, std::string> alert_annotations(const AlertInput& a);
// Alertmanager's fingerprint of a label set: "e88a1f1eb07c1d7d".
std::string alertmanager_fingerprint(const std::map<std::string, std::string>& labels);
// generatorURL: external_url + "/api/v1/targets/" + the target, percent-encoded; "" without URL.
std::string alert_generator_url(const std::string& external_url, const std::string& target);

// The webhook body for one notification (one group: the alerts given, in order; events of other
// kinds are left out). groupLabels are alertname and target where all alerts agree; groupKey is
// "{}:" + groupLabels as Alertmanager prints a label set; truncatedAlerts is 0.
std::string alertmanager_webhook(const std::vector<AlertInput>& alerts, const WebhookContext& ctx);

// POST /api/v2/alerts body. A firing alert gets endsAt = its event time + `firing_valid_for`
// when that is > 0 (as Prometheus does, so Alertmanager resolves it by itself if watch stops
// re-sending), else no endsAt (Alertmanager applies its resolve_timeout); a resolved one gets
// endsAt = its event time.
std::string alertmanager_v2_alerts(const std::vector<AlertInput>& alerts, const std::string& external_url,
                                   TimeNs firing_valid_for);

}  // namespace reach::format
