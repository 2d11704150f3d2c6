#include "format/watch_path_json.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "format/trace_writer.hpp"
#include "format/wall_time.hpp"
#include "format/watch_words.hpp"

namespace reach::format {
namespace {

nlohmann::json addr(const std::optional<IpAddr>& a) { return a ? nlohmann::json(a->to_string()) : nlohmann::json(); }

const char* change_word(model::HopChange c) {
  switch (c) {
    case model::HopChange::same: return "same";
    case model::HopChange::changed: return "changed";
    case model::HopChange::added: return "added";
    case model::HopChange::removed: return "removed";
    case model::HopChange::unknown: return "unknown";
  }
  return "unknown";
}

// MDA's other interfaces of a hop, only when there are some.
void also(nlohmann::json& j, const char* key, const std::vector<IpAddr>& v) {
  if (v.empty()) return;
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : v) a.push_back(x.to_string());
  j[key] = std::move(a);
}

nlohmann::json path_json(const model::WatchPath& p) {
  nlohmann::json hops = nlohmann::json::array();
  for (const auto& h : p.hops) {
    nlohmann::json hj{{"ttl", h.ttl}, {"addr", addr(h.addr)}};
    also(hj, "also", h.also);
    hops.push_back(std::move(hj));
  }
  nlohmann::json j{{"time", unix_seconds(p.wall)}, {"timestamp", rfc3339_micro(p.wall)},
                   {"state", watch_state_word(p.state)}, {"reached", p.reached},
                   {"protocol", trace_method_name(p.protocol)}};
  if (p.port) j["port"] = p.port;
  j["mda"] = p.mda;
  j["hops"] = std::move(hops);
  return j;
}

nlohmann::json diff_json(const std::vector<model::PathDiffHop>& d) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : d) {
    nlohmann::json hj{{"ttl", h.ttl}, {"before", addr(h.before)}, {"after", addr(h.after)},
                      {"change", change_word(h.change)}, {"changed", h.changed()}};
    also(hj, "before_also", h.before_also);
    also(hj, "after_also", h.after_also);
    out.push_back(std::move(hj));
  }
  return out;
}

bool any(const std::vector<model::PathDiffHop>& d) {
  return std::any_of(d.begin(), d.end(), [](const auto& h) { return h.changed(); });
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string watch_path_event_json(const std::string& target, const std::string& trigger,
                                  const model::WatchPath& path, const model::WatchPath* up,
                                  const std::vector<model::PathDiffHop>& diff, const std::string& netns) {
  nlohmann::json j{{"type", "path"}, {"version", 1}, {"time", unix_seconds(path.wall)},
                   {"timestamp", rfc3339_micro(path.wall)}};
  if (!netns.empty()) j["netns"] = netns;
  j["target"] = target;
  j["trigger"] = trigger;
  j["path"] = path_json(path);
  j["up_path"] = up ? path_json(*up) : nlohmann::json();
  j["diff"] = diff_json(diff);
  j["changed"] = any(diff);
  return dump(j) + '\n';
}

std::string watch_path_api_json(const std::string& target, bool tracing, const model::WatchPath* up,
                                const model::WatchPath* latest, const std::vector<model::PathDiffHop>& diff) {
  nlohmann::json j{{"target", target}, {"tracing", tracing}};
  j["up_path"] = up ? path_json(*up) : nlohmann::json();
  j["latest_path"] = latest ? path_json(*latest) : nlohmann::json();
  j["diff"] = diff_json(diff);
  j["changed"] = any(diff);
  return dump(j) + '\n';
}

}  // namespace reach::format
