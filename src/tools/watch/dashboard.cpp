// watch's dashboard on its HTTP server (docs/DASHBOARD.md): the overview at /, a page per
// target at /targets/NAME, the static files compiled in (/assets/), the overview's rows as JSON
// and the series of a smoke graph. Pages and JSON come from format/dashboard.hpp.
#include <fmt/format.h>

#include <array>

#include "format/dashboard.hpp"
#include "format/sparkline.hpp"
#include "format/watch_words.hpp"
#include "tools/watch/daemon.hpp"

namespace reach::embedded {
std::string_view dash_css();
std::string_view overview_js();
std::string_view target_js();
std::string_view chart_js();
std::string_view chart_js_license();
}  // namespace reach::embedded

namespace reach::tools::watch {

namespace {

// Only the server's own files: no inline script or style, no other origin, no framing.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

io::HttpServerResponse page(int status, std::string content_type, std::string body) {
  io::HttpServerResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.headers = {{"Content-Security-Policy", kCsp},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"},
               {"Cache-Control", "no-store"}};
  return r;
}

struct Asset {
  std::string_view path, type;
  std::string_view (*body)();
};
constexpr Asset kAssets[] = {
    {"dash.css", "text/css; charset=utf-8", embedded::dash_css},
    {"overview.js", "text/javascript; charset=utf-8", embedded::overview_js},
    {"target.js", "text/javascript; charset=utf-8", embedded::target_js},
    {"chart.min.js", "text/javascript; charset=utf-8", embedded::chart_js},
    {"chart.js.LICENSE", "text/plain; charset=utf-8", embedded::chart_js_license},
};

// A strong validator from the bytes (FNV-1a 64): the files change only with the binary.
std::string etag_of(std::string_view body) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ULL;
  return fmt::format("\"{:016x}-{}\"", h, body.size());
}

void serve_asset(const io::HttpServerRequest& req, io::HttpReply reply) {
  const std::string_view name = std::string_view(req.path).substr(std::string_view("/assets/").size());
  for (std::size_t i = 0; i < std::size(kAssets); ++i) {
    if (kAssets[i].path != name) continue;
    static std::array<std::string, std::size(kAssets)> etags;
    if (etags[i].empty()) etags[i] = etag_of(kAssets[i].body());
    const std::string* inm = req.header("if-none-match");
    const bool fresh = inm && *inm == etags[i];
    auto r = page(fresh ? 304 : 200, std::string(kAssets[i].type), fresh ? "" : std::string(kAssets[i].body()));
    r.headers.back() = {"Cache-Control", "no-cache"};  // revalidate: a new binary may serve new files
    r.headers.emplace_back("ETag", etags[i]);
    return reply.send(std::move(r));
  }
  reply.send(page(404, "text/plain; charset=utf-8", "no such file\n"));
}

}  // namespace

format::DashRow Daemon::dash_row(const Target& t) const {
  format::DashRow r;
  r.name = t.cfg.name;
  r.probe = format::watch_probe_word(t.spec.kind);
  r.state = format::watch_state_word(t.shown.state);
  r.since_wall = t.shown.since;
  r.median = t.window.median_of_medians();
  r.loss = t.window.loss();
  r.sparkline = format::sparkline(t.window.medians(), 30);
  if (t.last && !t.last->success) r.reason = t.last->reason;
  return r;
}

void Daemon::remember_event(const model::WatchEvent& e) {
  if (e.kind == model::WatchEvent::Kind::error || e.kind == model::WatchEvent::Kind::reminder) return;
  recent_events_.push_back(e);
  if (recent_events_.size() > kRecentEvents) recent_events_.pop_front();
}

void Daemon::start_dashboard() {
  io::HttpServer& h = *http_;
  h.route("GET", "/", [this](const io::HttpServerRequest& req, io::HttpReply reply) {
    std::vector<format::DashRow> rows;
    for (const auto& [name, id] : by_name_) rows.push_back(dash_row(targets_.at(id)));
    const std::string* q = req.param("q");
    const std::string* sort = req.param("sort");
    const std::string* desc = req.param("desc");
    const std::string f = q ? *q : "", s = sort && !sort->empty() ? *sort : "name";
    const bool d = desc && *desc == "1";
    reply.send(page(200, "text/html; charset=utf-8",
                    format::dashboard_overview_html(format::dashboard_select(std::move(rows), f, s, d), f, s, d)));
  });
  h.route("GET", "/api/v1/overview", [this](const io::HttpServerRequest&, io::HttpReply reply) {
    std::vector<format::DashRow> rows;
    for (const auto& [name, id] : by_name_) rows.push_back(dash_row(targets_.at(id)));
    reply.send(page(200, "application/json", format::dashboard_rows_json(rows)));
  });
  h.route_prefix("GET", "/targets/", [this](const io::HttpServerRequest& req, io::HttpReply reply) {
    const Target* t = find(std::string_view(req.path).substr(std::string_view("/targets/").size()));
    if (!t) return reply.send(page(404, "text/plain; charset=utf-8", "no such target\n"));
    reply.send(page(200, "text/html; charset=utf-8", format::dashboard_target_html(dash_row(*t), path_enabled(*t))));
  });
  h.route_prefix("GET", "/assets/", serve_asset);
}

void Daemon::serve_series(const std::string& name, const std::string& range, const format::DashWindow& w,
                          io::HttpReply reply) {
  // The finest resolution worth reading: rounds for points under a minute wide, minutes under
  // an hour, hours beyond (the store still falls back to finer rows of a young daemon).
  const TimeNs step = (w.to - w.from) / static_cast<TimeNs>(w.points);
  const auto finest = step >= 3600 * kNsPerSec ? store::Resolution::hour
                      : step >= 60 * kNsPerSec ? store::Resolution::minute
                                               : store::Resolution::raw;
  auto h = store_->history(name, w.from, w.to, w.points, finest);
  if (!h) return reply.send(page(500, "text/plain; charset=utf-8", h.error().message() + "\n"));
  std::vector<format::SeriesPoint> points;
  points.reserve(h->size());
  for (const store::HistoryPoint& p : *h) {
    format::SeriesPoint s{p.wall, p.resolution == store::Resolution::raw ? "raw"
                                  : p.resolution == store::Resolution::minute ? "1m" : "1h",
                          p.count, p.successes, p.sent, p.received, std::nullopt, {}};
    if (p.received > 0) {
      s.median = p.median_mean;
      for (double q : format::kSmokeQuantiles) s.smoke.push_back(p.quantile(q));
    }
    points.push_back(std::move(s));
  }
  std::vector<model::WatchEvent> events;
  for (const model::WatchEvent& e : recent_events_)
    if (e.target == name) events.push_back(e);
  reply.send(page(200, "application/json", format::dashboard_series_json(name, range, w, points, events)));
}

}  // namespace reach::tools::watch
