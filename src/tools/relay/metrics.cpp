// The relay's /metrics (Prometheus text through format/prom_exposition, served by io/http_server
// as watch's is) and its events: a text line each, or NDJSON with --json.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "format/prom_exposition.hpp"
#include "format/wall_time.hpp"
#include "sys/clock.hpp"
#include "tools/relay/server.hpp"

namespace reach::tools::relay {

namespace prom = format::prom;

void Server::event(const std::string& kind, const std::string& text, nlohmann::json fields) {
  if (!opts_.json) {
    (kind == "error" ? err_ : out_) << "reach relay: " << text << '\n' << std::flush;
    return;
  }
  nlohmann::json j = {{"type", "relay_" + kind},
                      {"version", 1},
                      {"time", format::rfc3339_micro(sys::WallClock().now())},
                      {"message", text}};
  j.update(fields);
  out_ << j.dump() << '\n' << std::flush;
}

std::string Server::metrics_text() const {
  std::vector<prom::Family> f;
  auto counter = [&](std::string name, std::string help, std::vector<prom::Sample> s) {
    f.push_back(prom::Family{std::move(name), prom::Type::counter, std::move(help), std::move(s)});
  };
  auto gauge = [&](std::string name, std::string help, std::vector<prom::Sample> s) {
    f.push_back(prom::Family{std::move(name), prom::Type::gauge, std::move(help), std::move(s)});
  };
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  counter("reach_relay_connections", "Connections accepted and admitted", {{{}, d(accepted_)}});
  gauge("reach_relay_connections_active", "Connections open now", {{{}, d(conns_.size())}});
  counter("reach_relay_bytes", "Bytes forwarded, up = client to backend",
          {{{{"direction", "up"}}, d(bytes_up_)}, {{{"direction", "down"}}, d(bytes_down_)}});
  std::vector<prom::Sample> ends;
  for (std::size_t r = 0; r < kRejectCount; ++r)
    ends.push_back({{{"reason", reject_word(static_cast<Reject>(r))}}, d(rejects_[r])});
  counter("reach_relay_closed", "Connections ended, by reason (none: both sides finished)", std::move(ends));
  std::vector<prom::Sample> refused;
  for (const auto& [reason, n] : refusals_) refused.push_back({{{"reason", reason}}, d(n)});
  counter("reach_relay_admission_refused",
          "New connections refused by the flood defences (at accept, or at the PROXY header's client), by reason",
          std::move(refused));
  std::vector<prom::Sample> up, active, total, failures;
  for (std::size_t i = 0; i < backends_.size(); ++i) {
    const auto& b = pool_->backends()[i];
    const prom::Labels l{{"backend", backends_[i].text}};
    up.push_back({l, b.up ? 1.0 : 0.0});
    active.push_back({l, d(b.active)});
    total.push_back({l, d(b.total)});
    failures.push_back({l, d(b.failures)});
  }
  gauge("reach_relay_backend_up", "1 when the backend passes its health checks", std::move(up));
  gauge("reach_relay_backend_connections_active", "Connections open to the backend", std::move(active));
  counter("reach_relay_backend_connections", "Connections handed to the backend", std::move(total));
  counter("reach_relay_backend_connect_failures", "Connects to the backend that failed", std::move(failures));
  gauge("reach_relay_listeners", "Listening sockets", {{{}, d(listeners_.size())}});
  counter("reach_relay_reloads", "Config reloads", {{{{"result", "ok"}}, d(reloads_)}, {{{"result", "failed"}}, d(reload_failures_)}});
  auto body = prom::render(f, prom::Format::text);
  // Refusals by prefix, bans, the black-hole: the defences' own families.
  return (body ? *body : "# " + body.error().message() + "\n") + gate_->metrics_text();
}

void Server::start_metrics() {
  http_->route("GET", "/metrics", [this](const io::HttpServerRequest&, io::HttpReply reply) {
    io::HttpServerResponse r;
    r.content_type = std::string(prom::kContentTypeText);
    r.body = metrics_text();
    reply.send(std::move(r));
  });
}

}  // namespace reach::tools::relay
