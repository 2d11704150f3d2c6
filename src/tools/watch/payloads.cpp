#include "tools/watch/payloads.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "engine/watch_stats.hpp"
#include "format/watch_words.hpp"

namespace reach::tools::watch {

namespace {

std::string rfc3339(TimeNs wall) {
  if (wall <= 0) return "0001-01-01T00:00:00Z";
  std::time_t t = static_cast<std::time_t>(wall / kNsPerSec);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>((wall % kNsPerSec) / kNsPerMs));
}

double sec(TimeNs ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

std::string event_ndjson(const model::WatchEvent& e) {
  nlohmann::json j{{"type", std::string("watch_") + format::watch_event_word(e.kind)},
                   {"version", 1},
                   {"time", rfc3339(e.wall)}};
  if (!e.target.empty()) j["target"] = e.target;
  if (!e.alert.empty()) j["alert"] = e.alert;
  if (e.kind == model::WatchEvent::Kind::state_change) j["from"] = format::watch_state_word(e.from);
  if (e.kind != model::WatchEvent::Kind::error) j["state"] = format::watch_state_word(e.to);
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (e.since_wall) j["since"] = rfc3339(e.since_wall);
  return j.dump();
}

std::string round_ndjson(const model::RoundResult& r) {
  nlohmann::json j{{"type", "watch_round"},
                   {"version", 1},
                   {"time", rfc3339(r.start_wall)},
                   {"target", r.target},
                   {"probe", format::watch_probe_word(r.probe)},
                   {"success", r.success},
                   {"sent", r.sent},
                   {"received", r.received},
                   {"duration_seconds", sec(r.duration)}};
  if (!r.addr.empty()) j["addr"] = r.addr;
  if (!r.rtts.empty()) {
    engine::RoundStats s = engine::round_stats(r.rtts, r.sent);
    j["rtt_min_ms"] = static_cast<double>(s.min) / 1e6;
    j["rtt_median_ms"] = static_cast<double>(s.median) / 1e6;
    j["rtt_max_ms"] = static_cast<double>(s.max) / 1e6;
  }
  if (r.http_status) j["http_status"] = r.http_status;
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j.dump();
}

std::string event_text(const model::WatchEvent& e) {
  std::string s = fmt::format("{} {}", rfc3339(e.wall), format::watch_event_word(e.kind));
  if (!e.target.empty()) s += " " + e.target;
  if (!e.alert.empty()) s += " alert=" + e.alert;
  if (!e.reason.empty()) s += " (" + e.reason + ")";
  return s;
}

std::string notifier_payload(const config::Notifier& n, const model::WatchEvent& e, const AlertContext& ctx) {
  const bool resolved = e.kind == model::WatchEvent::Kind::resolved;
  nlohmann::json labels{{"alertname", e.alert}, {"target", e.target}, {"probe", ctx.probe}, {"instance", ctx.instance}};
  for (const auto& [k, v] : ctx.labels) labels[k] = v;
  nlohmann::json alert{{"status", resolved ? "resolved" : "firing"},
                       {"labels", labels},
                       {"annotations", {{"summary", fmt::format("{} is {}", e.target, resolved ? "up" : "down")},
                                        {"description", e.reason}}},
                       {"startsAt", rfc3339(e.since_wall)},
                       {"endsAt", resolved ? rfc3339(e.wall) : "0001-01-01T00:00:00Z"},
                       {"generatorURL", ctx.external_url.empty() ? "" : ctx.external_url + "/api/v1/targets"},
                       {"fingerprint", fmt::format("{:016x}", std::hash<std::string>{}(e.alert + "\n" + e.target))}};
  nlohmann::json body{{"receiver", n.name},
                      {"status", resolved ? "resolved" : "firing"},
                      {"alerts", nlohmann::json::array({alert})},
                      {"groupLabels", {{"alertname", e.alert}}},
                      {"commonLabels", labels},
                      {"commonAnnotations", alert["annotations"]},
                      {"externalURL", ctx.external_url},
                      {"version", "4"},
                      {"groupKey", fmt::format("{{}}:{{alertname=\"{}\"}}", e.alert)},
                      {"truncatedAlerts", 0}};
  if (std::holds_alternative<config::SyslogNotifier>(n.kind)) {
    const auto& s = std::get<config::SyslogNotifier>(n.kind);
    const int pri = s.facility * 8 + (resolved ? 5 : 2);
    return fmt::format("<{}>1 {} {} {} - {} - {}", pri, rfc3339(e.wall), ctx.instance, s.app_name,
                       resolved ? "resolved" : "firing", event_text(e));
  }
  return body.dump();
}

std::pair<std::string, int> nagios_report(const std::vector<model::RoundResult>& rounds) {
  int down = 0;
  std::string perf, first;
  for (const model::RoundResult& r : rounds) {
    if (!r.success) {
      ++down;
      if (first.empty()) first = r.target + ": " + r.reason;
    }
    const double loss = r.sent ? 100.0 * (r.sent - r.received) / r.sent : 100.0;
    std::string label = r.target;
    for (char& c : label)
      if (c == '\'' || c == '=' || c == '|') c = '_';
    if (!r.rtts.empty())
      perf += fmt::format(" '{}_rtt'={:.6f}s", label, static_cast<double>(engine::round_stats(r.rtts, r.sent).median) / 1e9);
    perf += fmt::format(" '{}_loss'={:.1f}%", label, loss);
  }
  std::string status = down ? "CRITICAL" : "OK";
  std::string text = down ? fmt::format("{} of {} targets down, {}", down, rounds.size(), first)
                          : fmt::format("{} targets up", rounds.size());
  for (char& c : text)
    if (c == '|' || c == '\n') c = ' ';
  return {fmt::format("WATCH {}: {} |{}", status, text, perf), down ? 2 : 0};
}

}  // namespace reach::tools::watch
