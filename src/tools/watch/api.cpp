// watch's HTTP API: /metrics (Prometheus), /probe (blackbox_exporter's contract), /api/v1
// (targets and history as JSON), /-/reload, /-/healthy and /-/ready. The dashboard's routes are
// in dashboard.cpp.
#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "engine/watch_stats.hpp"
#include "format/watch_json.hpp"
#include "format/blackbox_probe.hpp"
#include "format/dashboard.hpp"
#include "format/prom_exposition.hpp"
#include "format/watch_dnsbl.hpp"
#include "format/watch_metrics.hpp"
#include "io/worker.hpp"
#include "format/watch_words.hpp"
#include "sys/clock.hpp"
#include "tools/watch/daemon.hpp"
#include "tools/watch/module_spec.hpp"

namespace reach::tools::watch {

namespace {

io::HttpServerResponse text(int status, std::string body) {
  io::HttpServerResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  return r;
}

io::HttpServerResponse json(int status, const nlohmann::json& j) {
  io::HttpServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = j.dump() + "\n";
  return r;
}

// An API error: one line of JSON, naming the parameter that is wrong when one is.
io::HttpServerResponse api_error(int status, const std::string& message, std::string_view parameter = {}) {
  nlohmann::json j{{"error", message}};
  if (!parameter.empty()) j["parameter"] = parameter;
  return json(status, j);
}

// Valid parameters, but nothing stores rounds: the resource does not exist on this agent.
io::HttpServerResponse no_history() {
  return api_error(404, "no history: start reach watch with --db FILE (or db: in the config)");
}

// A time parameter: unix seconds (fractions allowed) or empty; RFC 3339 is not taken here.
std::optional<TimeNs> unix_param(const std::string* v) {
  if (!v || v->empty()) return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  // Up to 9e9 s (year 2255): the nanoseconds must fit an int64 (9.2e18).
  if (ec != std::errc() || p != v->data() + v->size() || !(d >= 0 && d <= 9e9)) return std::nullopt;
  return static_cast<TimeNs>(d * 1e9);
}

double sec(TimeNs ns) { return static_cast<double>(ns) / 1e9; }

// GET /api/v1's answer: the endpoints of docs/WATCH.md "HTTP API" under /api/v1.
struct ApiEndpoint {
  const char *method, *path, *what;
};
constexpr ApiEndpoint kApiIndex[] = {
    {"GET", "/api/v1/targets", "every target: state, counters, loss, median RTT, last round, alerts"},
    {"GET", "/api/v1/targets/NAME", "one target, the same object as in the list"},
    {"GET", "/api/v1/targets/NAME/history", "stored history (from, to: unix seconds; points)"},
    {"GET", "/api/v1/targets/NAME/series", "one dashboard graph's points and events (range, from, to)"},
    {"GET", "/api/v1/targets/NAME/path", "the last up path, the latest path and their diff"},
    {"POST", "/api/v1/targets/NAME/path", "trace the target's path now"},
    {"GET", "/api/v1/overview", "the dashboard's rows"},
};

}  // namespace

Result<void> Daemon::start_http() {
  io::HttpServerOptions o;
  o.listen = {*opts_.config.listen};
  auto s = io::HttpServer::start(*reactor_, o);
  if (!s) return tl::unexpected(s.error());
  http_ = std::move(*s);
  io::HttpServer& h = *http_;

  h.route("GET", "/metrics", [this](const io::HttpServerRequest& req, io::HttpReply reply) {
    const std::string* accept = req.header("accept");
    const auto neg = format::prom::negotiate(accept ? *accept : "");
    // The loop only copies the numbers; building and rendering the text (1-2 s at 10,000
    // targets on a busy machine) runs on a helper thread, so probing never waits for a scrape.
    auto targets = std::make_shared<std::vector<model::TargetMetrics>>(target_metrics());
    auto process = std::make_shared<model::WatchProcessMetrics>(process_metrics());
    auto usage = std::make_shared<std::vector<format::prom::Family>>();
    append_usage_metrics(*usage);  // usage_section.cpp: reach_usage_* when the file has usage:
    auto shared_reply = std::make_shared<io::HttpReply>(std::move(reply));
    auto job = [targets, process, usage, neg, shared_reply]() -> io::Worker::Continuation {
      auto families = format::watch_metric_families(*targets, *process);
      std::move(usage->begin(), usage->end(), std::back_inserter(families));
      auto body = std::make_shared<Result<std::string>>(format::prom::render(families, neg.format));
      const std::string content_type(neg.content_type);
      return [body, content_type, shared_reply] {
        if (!*body) return shared_reply->send(text(500, body->error().message()));
        io::HttpServerResponse r;
        r.content_type = content_type;
        r.body = std::move(**body);
        shared_reply->send(std::move(r));
      };
    };
    if (!metrics_worker_) {  // created at the first scrape: signals are blocked by then
      auto w = io::Worker::create(*reactor_);
      if (!w) return shared_reply->send(text(500, w.error().message()));
      metrics_worker_ = std::move(*w);
    }
    metrics_worker_->run(std::move(job));
  });
  h.route("GET", "/probe", [this](const io::HttpServerRequest& req, io::HttpReply reply) {
    serve_probe(req, std::move(reply));
  });
  auto ok = [](const io::HttpServerRequest&, io::HttpReply reply) { reply.send(text(200, "OK")); };
  h.route("GET", "/-/healthy", ok);
  h.route("GET", "/-/ready", ok);
  h.route("POST", "/-/reload", [this](const io::HttpServerRequest&, io::HttpReply reply) {
    if (opts_.config_path.empty()) return reply.send(text(400, "no config file to reload (targets from the command line)"));
    auto r = reload();
    reply.send(r ? text(200, "reloaded") : text(500, "reload failed: " + reload_error_));
  });
  // One target as GET /api/v1/targets lists it, and alone at /api/v1/targets/NAME.
  auto target_json = [this](const model::TargetMetrics& m) {
    const Target* t = find(m.name);
    nlohmann::json j{{"name", m.name},
                     {"state", format::watch_state_word(m.state)},
                     {"rounds", m.rounds},
                     {"rounds_failed", m.rounds_failed},
                     {"packets_sent", m.packets_sent},
                     {"packets_received", m.packets_received},
                     {"loss_ratio", t ? t->window.loss() : 0.0}};
    if (t && t->window.median_of_medians()) j["median_rtt_seconds"] = sec(*t->window.median_of_medians());
    if (m.last) {
      j["last"] = {{"success", m.last->success}, {"reason", m.last->reason}, {"sent", m.last->sent},
                   {"received", m.last->received}, {"start", sec(m.last->start_wall)}};
      if (!m.last->snmp.empty()) j["last"]["snmp"] = format::watch_snmp_values_json(m.last->snmp);
      if (m.last->probe == model::WatchProbe::dnsbl) {
        j["last"]["dnsbl"] = format::watch_dnsbl_json(m.last->dnsbl);
        if (m.last->no_verdict) j["last"]["no_verdict"] = true;
      }
    }
    nlohmann::json alerts = nlohmann::json::object();
    for (const auto& [name, firing] : m.alerts) alerts[name] = firing ? "firing" : "inactive";
    j["alerts"] = alerts;
    if (!peers_.empty()) {  // `peers:`: the agents (this one included) that see it down
      const engine::QuorumCount q = peer_count(m.name);
      j["agents_down"] = q.down + (m.state == model::TargetState::down ? 1 : 0);
      j["agents"] = q.agents + 1;
    }
    return j;
  };
  h.route("GET", "/api/v1/targets", [this, target_json](const io::HttpServerRequest&, io::HttpReply reply) {
    nlohmann::json list = nlohmann::json::array();
    for (const model::TargetMetrics& m : target_metrics()) list.push_back(target_json(m));
    reply.send(json(200, {{"targets", list}}));
  });
  // GET /api/v1: what the API holds (a client's first try; Uptime Kuma and Prometheus users).
  auto index = [](const io::HttpServerRequest&, io::HttpReply reply) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [method, path, what] : kApiIndex) list.push_back({{"method", method}, {"path", path}, {"what", what}});
    reply.send(json(200, {{"api", "reach watch"}, {"version", 1}, {"endpoints", list}, {"docs", "docs/WATCH.md"}}));
  };
  h.route("GET", "/api/v1", index);
  h.route("GET", "/api/v1/", index);
  // The server hands the path over percent-decoded: /api/v1/targets/%5B%3A%3A1%5D%3A8080 and
  // /api/v1/targets/[::1]:8080 are the same target. Errors are one line of JSON (docs/WATCH.md).
  h.route_prefix("GET", "/api/v1/targets/", [this, target_json](const io::HttpServerRequest& req, io::HttpReply reply) {
    std::string rest = req.path.substr(std::string("/api/v1/targets/").size());
    if (const Target* t = find(rest)) return reply.send(json(200, target_json(metrics_of(*t))));
    const std::size_t slash = rest.rfind('/');
    const std::string suffix = slash == std::string::npos ? "" : rest.substr(slash);
    if (suffix == "/path") return serve_path(rest.substr(0, slash), std::move(reply));  // path_watch.cpp
    if (suffix != "/history" && suffix != "/series") return reply.send(api_error(404, "no target " + rest));
    const std::string name = rest.substr(0, slash);
    if (!find(name)) return reply.send(api_error(404, "no target " + name));
    // Parameters first, in every mode: a bad one is the client's mistake whether or not there
    // is a history to read.
    const TimeNs now = sys::WallClock().now();
    auto from = unix_param(req.param("from")), to = unix_param(req.param("to"));
    if (req.param("from") && !from) return reply.send(api_error(400, "from: want unix seconds (0 to 9e9)", "from"));
    if (req.param("to") && !to) return reply.send(api_error(400, "to: want unix seconds (0 to 9e9)", "to"));
    if (suffix == "/series") {
      const std::string* range = req.param("range");
      const std::string r = range && !range->empty() ? *range : "3h";
      auto w = format::dashboard_window(r, from, to, now);
      if (!w) return reply.send(api_error(400, w.error().message(), w.error().op));
      if (!store_) return reply.send(no_history());
      return serve_series(name, r, *w, std::move(reply));  // dashboard.cpp
    }
    std::size_t points = 1000;
    if (const std::string* p = req.param("points")) {
      auto [ptr, ec] = std::from_chars(p->data(), p->data() + p->size(), points);
      if (ec != std::errc() || ptr != p->data() + p->size() || points == 0 || points > 100000)
        return reply.send(api_error(400, "points: want 1..100000", "points"));
    }
    if (!store_) return reply.send(no_history());
    // Rounds are committed by the writer thread as they come: the latest are already there.
    auto h = store_->history(name, from.value_or(now - 3600 * kNsPerSec), to.value_or(now + kNsPerSec), points);
    if (!h) return reply.send(api_error(500, h.error().message()));
    nlohmann::json list = nlohmann::json::array();
    for (const store::HistoryPoint& p : *h) {
      nlohmann::json j{{"time", sec(p.wall)},
                       {"resolution", p.resolution == store::Resolution::raw      ? "raw"
                                      : p.resolution == store::Resolution::minute ? "1m"
                                                                                  : "1h"},
                       {"rounds", p.count},
                       {"successes", p.successes},
                       {"sent", p.sent},
                       {"received", p.received}};
      if (p.received > 0) {
        j["rtt_min_seconds"] = sec(p.rtt_min);
        j["rtt_median_seconds"] = sec(p.quantile(0.5));
        j["rtt_max_seconds"] = sec(p.rtt_max);
      }
      if (!p.reason.empty()) j["reason"] = p.reason;
      list.push_back(std::move(j));
    }
    reply.send(json(200, {{"target", name}, {"points", list}}));
  });
  start_dashboard();
  route_path_api();
  return {};
}

void Daemon::serve_probe(const io::HttpServerRequest& req, io::HttpReply reply) {
  const std::string* target = req.param("target");
  if (!target || target->empty()) return reply.send(text(400, "Target parameter is missing"));
  const std::string* module_name = req.param("module");
  const std::string mod = module_name && !module_name->empty() ? *module_name : "http_2xx";
  const config::BbModule* m = opts_.modules.find(mod);
  if (!m) return reply.send(text(400, fmt::format("Unknown module \"{}\"", mod)));
  std::optional<double> scrape;
  if (const std::string* h = req.header("x-prometheus-scrape-timeout-seconds")) {
    double d = 0;
    auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), d);
    if (ec == std::errc() && p == h->data() + h->size()) scrape = d;
  }
  auto spec = spec_from_module(*m, *target, config::effective_timeout(*m, scrape));
  if (!spec) return reply.send(text(400, spec.error().message()));
  spec->name = *target;
  const auto prober = format::blackbox_prober_for(spec->kind);
  const std::string* accept = req.header("accept");
  const auto neg = format::prom::negotiate(accept ? *accept : "");
  auto shared = std::make_shared<io::HttpReply>(std::move(reply));  // Done must be copyable
  probers_->run(*spec, [shared, prober, neg](model::RoundResult r) {
    io::HttpServerResponse resp;
    resp.content_type = std::string(neg.content_type);
    resp.body = format::write_blackbox_probe(r, prober, neg.format);
    shared->send(std::move(resp));
  });
}

}  // namespace reach::tools::watch
