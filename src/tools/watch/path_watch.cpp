// watch's path traces (docs/WATCH.md, "Paths"): when a target's state changes, at its first up
// round and on demand, one flow-stable ICMP trace toward it; the `path` event and
// /api/v1/targets/NAME/path show it beside the last path seen while the target was up.
#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <nlohmann/json.hpp>

#include "engine/watch_path.hpp"
#include "format/watch_path_json.hpp"
#include "format/watch_words.hpp"
#include "sys/clock.hpp"
#include "tools/watch/daemon.hpp"

namespace reach::tools::watch {

using model::WatchEvent;

namespace {
constexpr std::size_t kApiHistory = 20;       // stored path events in GET .../path
constexpr double kBurst = 4;                  // traces at once (start, down, up, one more) ...
constexpr TimeNs kRefill = 60 * kNsPerSec;    // ... then one a minute: a flapping target cannot trace all the time

bool take_token(PathState& p, TimeNs now) {
  if (p.refilled == 0) p.refilled = now;
  p.tokens = std::min(kBurst, p.tokens + static_cast<double>(now - p.refilled) / static_cast<double>(kRefill));
  p.refilled = now;
  if (p.tokens < 1) return false;
  p.tokens -= 1;
  return true;
}

io::HttpServerResponse json_error(int status, const std::string& message) {
  io::HttpServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

TimeNs until_token(const PathState& p) {
  return static_cast<TimeNs>((1 - std::min(p.tokens, 1.0)) * static_cast<double>(kRefill)) + kNsPerMs;
}
}  // namespace

bool Daemon::path_enabled(const Target& t) const {
  if (opts_.config_path.empty() || opts_.rounds) return false;  // a daemon, not a one-off check
  if (!t.cfg.path.enabled) return false;                          // `path: off`
  switch (t.spec.kind) {
    case model::WatchProbe::icmp:
    case model::WatchProbe::tcp:
    case model::WatchProbe::syn:
    case model::WatchProbe::udp: return true;
    default: return false;
  }
}

void Daemon::path_after_round(Target& t, const std::vector<WatchEvent>& events) {
  if (!path_enabled(t)) return;
  if (t.last && !t.last->addr.empty()) t.path.addr = t.last->addr;
  std::string trigger;
  for (const WatchEvent& e : events)
    if (e.kind == WatchEvent::Kind::state_change && e.target == t.cfg.name) {
      // Unknown -> up after the baseline traced says nothing new; unknown -> down does.
      if (e.from != model::TargetState::unknown || e.to == model::TargetState::down)
        trigger = format::watch_state_word(e.to);
      else if (!t.path.baseline_tried) trigger = "start";
    }
  // The baseline: the first round that succeeds (or the first state) traces the path later
  // changes are compared with; the alert rule's first state change need not wait for it.
  if (trigger.empty() && !t.path.baseline_tried && t.last && t.last->success) trigger = "start";
  if (trigger.empty()) return;
  t.path.baseline_tried = true;
  start_path(t, trigger);
}

bool Daemon::start_path(Target& t, const std::string& trigger) {
  auto addr = IpAddr::parse(t.path.addr);
  if (!addr) return true;  // never resolved: nothing to trace toward (yet)
  if (t.path.tracing) {
    t.path.pending = trigger;  // runs when this one is done
    return true;
  }
  const TimeNs now = reactor_->refresh_now();
  if (!take_token(t.path, now)) {
    t.path.pending = trigger;
    if (!t.path.retry) {
      const std::uint32_t id = t.id;
      t.path.retry = reactor_->after(until_token(t.path), [this, id] {
        auto it = targets_.find(id);
        if (it == targets_.end()) return;
        Target& tt = it->second;
        tt.path.retry = 0;
        std::string p = std::exchange(tt.path.pending, {});
        if (!p.empty()) start_path(tt, p);
      });
    }
    return false;
  }
  if (!paths_) paths_ = std::make_unique<PathTracer>(*reactor_, key_);
  t.path.tracing = true;
  t.path.pending.clear();
  const std::uint32_t id = t.id;
  const TimeNs wall = sys::WallClock().now();
  const config::PathSettings how = t.cfg.path;
  paths_->trace(*addr, how, [this, id, trigger, wall, how](const PathTraceResult& r, const std::string& error) {
    path_done(id, trigger, wall, how, r, error);
  });
  return true;
}

void Daemon::path_done(std::uint32_t id, const std::string& trigger, TimeNs wall, const config::PathSettings& how,
                       const PathTraceResult& r, const std::string& error) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;  // removed by a reload while it ran
  Target& t = it->second;
  t.path.tracing = false;
  if (!error.empty()) {
    emit(WatchEvent{WatchEvent::Kind::error, sys::WallClock().now(), t.cfg.name, {}, {}, {},
                    fmt::format("path trace toward {}: {}", t.path.addr, error), 0});
  } else {
    model::WatchPath p;
    p.wall = wall;
    p.state = t.shown.state;
    p.reached = r.reached;
    p.hops = r.hops;
    p.protocol = how.protocol;
    p.port = how.protocol == model::TraceMethod::icmp ? 0 : how.port;
    p.mda = how.mda;
    const model::WatchPath* up = t.path.up ? &*t.path.up : nullptr;
    const auto diff = up ? engine::diff_paths(up->hops, p.hops) : std::vector<model::PathDiffHop>{};
    const std::string line = format::watch_path_event_json(t.cfg.name, trigger, p, up, diff, opts_.netns);
    if (opts_.events) *opts_.events << line << std::flush;
    if (store_) {
      store::Writer::Hold hold(writer_.get());  // a small insert, a few per target and hour
      if (auto w = store_->save_path(t.cfg.name, {wall, trigger, line.substr(0, line.size() - 1)}); !w)
        emit(WatchEvent{WatchEvent::Kind::error, sys::WallClock().now(), t.cfg.name, {}, {}, {},
                        "history: " + w.error().message(), 0});
    }
    t.path.latest = p;
    // The baseline of the first round is traced before the alert rule calls the target up.
    if (p.reached && p.state != model::TargetState::down) t.path.up = std::move(p);
  }
  if (!t.path.pending.empty() && !t.path.retry) start_path(t, std::exchange(t.path.pending, {}));
}

void Daemon::serve_path(const std::string& name, io::HttpReply reply) {
  const Target* t = find(name);
  io::HttpServerResponse resp;
  resp.content_type = "application/json";
  if (!t || !path_enabled(*t)) return reply.send(json_error(404, t ? "path tracing is off for " + name : "no target " + name));
  const model::WatchPath* up = t->path.up ? &*t->path.up : nullptr;
  const model::WatchPath* latest = t->path.latest ? &*t->path.latest : nullptr;
  const auto diff = up && latest ? engine::diff_paths(up->hops, latest->hops) : std::vector<model::PathDiffHop>{};
  resp.body = format::watch_path_api_json(t->cfg.name, t->path.tracing, up, latest, diff);
  // With a history: the stored `path` events too, newest first.
  if (store_) {
    auto stored = store_->paths(t->cfg.name, kApiHistory);
    if (!stored) return reply.send(json_error(500, stored.error().message()));
    auto j = nlohmann::json::parse(resp.body);
    j["history"] = nlohmann::json::array();
    for (const auto& sp : *stored) j["history"].push_back(nlohmann::json::parse(sp.json, nullptr, false));
    resp.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  reply.send(std::move(resp));
}

// POST /api/v1/targets/NAME/path: trace now (202), or 429 while the rate limit holds it back.
void Daemon::route_path_api() {
  http_->route_prefix("POST", "/api/v1/targets/", [this](const io::HttpServerRequest& req, io::HttpReply reply) {
    std::string rest = req.path.substr(std::string("/api/v1/targets/").size());
    io::HttpServerResponse resp;
    resp.content_type = "application/json";
    const std::string suffix = "/path";
    if (rest.size() <= suffix.size() || rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) != 0)
      return reply.send(json_error(404, "POST is for /api/v1/targets/NAME/path"));
    const std::string name = rest.substr(0, rest.size() - suffix.size());
    auto by = by_name_.find(name);
    Target* t = by == by_name_.end() ? nullptr : &targets_.at(by->second);
    if (!t || !path_enabled(*t)) return reply.send(json_error(404, t ? "path tracing is off for " + name : "no target " + name));
    if (!IpAddr::parse(t->path.addr)) return reply.send(json_error(409, "no address probed yet"));
    if (!start_path(*t, "api")) return reply.send(json_error(429, "trace budget spent: the trace runs once it allows"));
    resp.status = 202;
    resp.body = "{\"tracing\":true}\n";
    reply.send(std::move(resp));
  });
}

}  // namespace reach::tools::watch
