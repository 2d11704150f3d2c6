// Alertmanager webhook (version 4) and API v2 alert bodies; see alertmanager.hpp.
#include "format/alertmanager.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cctype>

#include "format/wall_time.hpp"
#include "format/watch_words.hpp"

namespace reach::format {
namespace {

using Json = nlohmann::ordered_json;
using Map = std::map<std::string, std::string>;

bool is_alert(const model::WatchEvent& e) {
  using K = model::WatchEvent::Kind;
  return e.kind == K::firing || e.kind == K::reminder || e.kind == K::resolved;
}
bool firing(const model::WatchEvent& e) { return e.kind != model::WatchEvent::Kind::resolved; }

// A string map as a JSON object with sorted keys, as Go's encoding/json writes a map.
Json object(const Map& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

// The entries every map agrees on.
Map common(const std::vector<Map>& maps) {
  if (maps.empty()) return {};
  Map out = maps.front();
  for (const Map& m : maps)
    std::erase_if(out, [&](const auto& kv) {
      auto it = m.find(kv.first);
      return it == m.end() || it->second != kv.second;
    });
  return out;
}

// Go's %q for the plain label values we expect; the rest escaped conservatively.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += {'\\', static_cast<char>(c)};
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out + '"';
}

}  // namespace

Map alert_labels(const AlertInput& a) {
  Map m;
  for (const auto& [k, v] : a.labels) m[k] = v;
  m["alertname"] = a.event.alert;
  m["target"] = a.event.target;
  return m;
}

Map alert_annotations(const AlertInput& a) {
  Map m;
  const auto& e = a.event;
  if (firing(e))
    m["summary"] = e.to == model::TargetState::unknown ? fmt::format("{}: {} firing", e.target, e.alert)
                                                       : fmt::format("{} is {}", e.target, watch_state_word(e.to));
  else
    m["summary"] = fmt::format("{} is up again", e.target);
  if (!e.reason.empty()) m["description"] = e.reason;
  return m;
}

std::string alertmanager_fingerprint(const Map& labels) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-64 offset basis
  auto add = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;  // FNV-64 prime
    }
  };
  for (const auto& [k, v] : labels) {  // std::map: sorted by name
    add(k);
    add("\xff");
    add(v);
    add("\xff");
  }
  return fmt::format("{:016x}", h);
}

std::string alert_generator_url(const std::string& external_url, const std::string& target) {
  if (external_url.empty()) return {};
  std::string out = external_url;
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += "/api/v1/targets/";
  for (unsigned char c : target) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string alertmanager_webhook(const std::vector<AlertInput>& alerts, const WebhookContext& ctx) {
  Json list = Json::array();
  std::vector<Map> labels, annotations;
  bool any_firing = false;
  for (const auto& a : alerts) {
    if (!is_alert(a.event)) continue;
    Map l = alert_labels(a), an = alert_annotations(a);
    bool f = firing(a.event);
    any_firing |= f;
    list.push_back(Json{{"status", f ? "firing" : "resolved"},
                        {"labels", object(l)},
                        {"annotations", object(an)},
                        {"startsAt", rfc3339_nano(a.event.since_wall)},
                        {"endsAt", f ? std::string("0001-01-01T00:00:00Z") : rfc3339_nano(a.event.wall)},
                        {"generatorURL", alert_generator_url(ctx.external_url, a.event.target)},
                        {"fingerprint", alertmanager_fingerprint(l)}});
    labels.push_back(std::move(l));
    annotations.push_back(std::move(an));
  }
  Map common_labels = common(labels), group;
  for (const char* k : {"alertname", "target"})
    if (auto it = common_labels.find(k); it != common_labels.end()) group.insert(*it);
  std::string key = "{}:{";
  for (const auto& [k, v] : group) key += (key.size() > 4 ? ", " : "") + k + "=" + go_quote(v);
  key += "}";
  Json j{{"receiver", ctx.receiver},
         {"status", any_firing ? "firing" : "resolved"},
         {"alerts", std::move(list)},
         {"groupLabels", object(group)},
         {"commonLabels", object(common_labels)},
         {"commonAnnotations", object(common(annotations))},
         {"externalURL", ctx.external_url},
         {"version", "4"},
         {"groupKey", key},
         {"truncatedAlerts", 0}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string alertmanager_v2_alerts(const std::vector<AlertInput>& alerts, const std::string& external_url,
                                   TimeNs firing_valid_for) {
  Json list = Json::array();
  for (const auto& a : alerts) {
    if (!is_alert(a.event)) continue;
    Json j{{"labels", object(alert_labels(a))},
           {"annotations", object(alert_annotations(a))},
           {"startsAt", rfc3339_nano(a.event.since_wall)}};
    if (!firing(a.event)) j["endsAt"] = rfc3339_nano(a.event.wall);
    else if (firing_valid_for > 0) j["endsAt"] = rfc3339_nano(a.event.wall + firing_valid_for);
    j["generatorURL"] = alert_generator_url(external_url, a.event.target);
    list.push_back(std::move(j));
  }
  return list.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace reach::format
