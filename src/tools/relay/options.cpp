// The relay's config as the command line and the file give it: the file's `relay:` section,
// flags over it, every address checked before anything opens. Every problem is collected, each
// naming its flag or its file:line and key with the value, in config's error list (the one
// watch --validate prints).
#include <algorithm>

#include <fmt/format.h>

#include "config/values.hpp"
#include "io/listen_address.hpp"
#include "sys/daemon_privs.hpp"
#include "sys/own_addresses.hpp"
#include "sys/input_file.hpp"
#include "tools/relay/server.hpp"

namespace reach::tools::relay {

namespace {

constexpr const char* kCommandLine = "command line";

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  // From the file when line > 0 (file:line: key: message), else from a flag.
  void add(int line, std::string key, std::string message) {
    errors_.items.push_back({line > 0 ? file_ : kCommandLine, line, std::move(key), std::move(message)});
  }
  // From the file without a line of its own: named by the file, never blamed on the flags.
  void in_file(std::string key, std::string message) {
    errors_.items.push_back({file_, 0, std::move(key), std::move(message)});
  }
  void take(config::ConfigErrors e) {
    for (auto& i : e.items) errors_.items.push_back(std::move(i));
  }
  config::ConfigErrors done() {
    std::stable_sort(errors_.items.begin(), errors_.items.end(),
                     [](const config::ConfigError& a, const config::ConfigError& b) {
                       return a.source != b.source ? a.source == kCommandLine : a.line < b.line;
                     });
    return std::move(errors_);
  }
  bool ok() const { return errors_.items.empty(); }

 private:
  std::string file_;
  config::ConfigErrors errors_;
};

std::vector<IpPrefix> prefixes(const std::vector<std::string>& texts, const char* flag, Problems& p) {
  std::vector<IpPrefix> out;
  for (const auto& t : texts) {
    if (auto pre = parse_prefix(t)) out.push_back(*pre);
    else p.add(0, flag, prefix_error(t));
  }
  return out;
}

void duration(const std::optional<std::string>& text, TimeNs& into, const char* flag, Problems& p) {
  if (!text) return;
  // "-1s" and "0s" are durations, only not ones a timeout can be.
  const bool negative = text->size() > 1 && text->front() == '-';
  auto d = config::parse_duration(negative ? text->substr(1) : *text);
  if (!d) return p.add(0, flag, fmt::format("\"{}\" is not a duration like 5s or 500ms", *text));
  if (negative || *d <= 0) return p.add(0, flag, fmt::format("\"{}\" must be more than 0 (like 5s or 500ms)", *text));
  into = *d;
}

bool in(const IpAddr& a, const char* prefix) { return parse_prefix(prefix)->contains(a); }
bool unspecified(const IpAddr& a) { return in(a, "0.0.0.0/32") || in(a, "::/128"); }

// A backend that is one of the relay's own listen addresses would send the relay to itself.
bool loops(const io::ListenAddress& l, const config::RelayBackend& b, const std::vector<IpAddr>& own) {
  if (l.port != b.port) return false;
  const IpAddr to = unmap_v4(b.addr);
  if (l.addr && !unspecified(*l.addr)) return unmap_v4(*l.addr) == to;
  // A wildcard (":P" both families, "0.0.0.0:P", "[::]:P" one) takes every own address of its
  // family: the unspecified address, loopback and every interface's.
  if (l.addr && l.addr->is_v4() != to.is_v4()) return false;
  if (unspecified(to) || in(to, "127.0.0.0/8") || in(to, "::1/128")) return true;
  return std::find(own.begin(), own.end(), to) != own.end();
}

// Whether two listen sockets would take the same port (bind fails with EADDRINUSE): the same
// port, a family in common, and the same address or a wildcard on either side.
bool collide(const io::ListenAddress& a, const io::ListenAddress& b) {
  if (a.port != b.port) return false;
  if (a.addr && b.addr && a.addr->is_v4() != b.addr->is_v4()) return false;
  if (!a.addr || !b.addr || unspecified(*a.addr) || unspecified(*b.addr)) return true;
  return unmap_v4(*a.addr) == unmap_v4(*b.addr);
}

std::string twice(const std::string& what, const char* kind) {
  return fmt::format("{} is given twice: list each {} once", what, kind);
}

}  // namespace

config::ConfigResult<config::RelayConfig> build_config(const RelayOptions& o) {
  config::RelayConfig c;
  Problems p(o.config);
  if (!o.config.empty()) {
    auto text = sys::read_input_file(o.config);
    if (!text) {
      p.add(0, "--config", text.error().message());
      return tl::unexpected(p.done());
    }
    p.take(config::parse_relay_config_into(*text, o.config, c));
  }
  if (!o.listen.empty()) {
    c.listen = o.listen;
    c.listen_lines.assign(o.listen.size(), 0);
  }
  if (!o.to.empty()) {
    c.backends.clear();
    for (const auto& t : o.to) {
      if (auto b = config::parse_backend(t)) c.backends.push_back(*b);
      else p.add(0, "--to", b.error().message());
    }
  }
  if (o.send_proxy) {
    if (auto m = config::parse_proxy_send(*o.send_proxy)) c.send_proxy = *m;
    else p.add(0, "--send-proxy", config::must_be(*o.send_proxy, config::kProxyWords));
  }
  if (o.balance) {
    if (auto b = config::parse_balance(*o.balance)) c.balance = *b;
    else p.add(0, "--balance", config::must_be(*o.balance, config::kBalanceWords));
  }
  if (!o.accept_proxy.empty()) c.accept_proxy = prefixes(o.accept_proxy, "--accept-proxy", p);
  if (!o.trusted.empty()) c.trusted = prefixes(o.trusted, "--trusted", p);
  if (o.http) c.http = true;
  if (o.no_health) c.health_checks = false;
  if (o.no_blackhole) c.limits.blackhole = false;
  if (o.metrics) c.metrics = *o.metrics, c.metrics_line = 0;
  if (o.user) c.user = *o.user, c.user_line = 0;
  duration(o.connect_timeout, c.connect_timeout, "--connect-timeout", p);
  duration(o.idle_timeout, c.idle_timeout, "--idle-timeout", p);
  duration(o.head_timeout, c.head_timeout, "--head-timeout", p);

  // Each listen address with its own line (or as the flag gave it). One given twice is refused,
  // as nginx refuses a repeated `listen`: it is a typo, never a second socket.
  std::vector<io::ListenAddress> listen;
  for (std::size_t i = 0; i < c.listen.size(); ++i) {
    const int line = i < c.listen_lines.size() ? c.listen_lines[i] : 0;
    const std::string key = line ? fmt::format("relay.listen[{}]", i) : "LISTEN";
    auto a = io::parse_listen_address(c.listen[i]);
    if (!a) {
      p.add(line, key, a.error().message());
      continue;
    }
    const auto same = [&](const io::ListenAddress& l) { return l.to_string() == a->to_string(); };
    if (std::any_of(listen.begin(), listen.end(), same)) p.add(line, key, twice(a->to_string(), "listen address"));
    else listen.push_back(*a);
  }
  // A backend given twice would be two pool entries with one name: duplicate series in
  // /metrics, which Prometheus refuses. Refused, not merged (a weight is not what it says).
  for (std::size_t i = 0; i < c.backends.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (c.backends[j].port == c.backends[i].port && unmap_v4(c.backends[j].addr) == unmap_v4(c.backends[i].addr)) {
        const int line = c.backends[i].line;
        p.add(line, line ? "relay.backends" : "--to", twice(c.backends[i].text, "backend"));
        break;
      }
  if (c.metrics) {
    const std::string key = c.metrics_line ? "relay.metrics" : "--metrics";
    if (auto a = io::parse_listen_address(*c.metrics); !a) p.add(c.metrics_line, key, a.error().message());
    else
      for (const auto& l : listen)
        if (collide(*a, l)) {
          p.add(c.metrics_line, key,
                fmt::format("{} takes the port of the listen address {}: /metrics needs a port of its own",
                            a->to_string(), l.to_string()));
          break;
        }
  }
  if (c.user)
    if (auto u = sys::check_user(*c.user); !u) p.add(c.user_line, c.user_line ? "user" : "--user", u.error().message());
  if (!listen.empty() && !c.backends.empty()) {
    const bool wildcard =
        std::any_of(listen.begin(), listen.end(), [](const auto& l) { return !l.addr || unspecified(*l.addr); });
    std::vector<IpAddr> own;
    if (wildcard)
      if (auto a = sys::own_addresses()) own = std::move(*a);
    for (std::size_t i = 0; i < c.backends.size(); ++i) {
      const int line = c.backends[i].line;
      // connect() to 0.0.0.0 or :: reaches this host: a loop whatever the listen address.
      if (unspecified(unmap_v4(c.backends[i].addr))) {
        p.add(line, line ? "relay.backends" : "--to",
              fmt::format("{} is the unspecified address: connecting to it reaches this host, not a backend",
                          c.backends[i].text));
        continue;
      }
      for (const auto& l : listen)
        if (loops(l, c.backends[i], own)) {
          p.add(line, line ? "relay.backends" : "--to",
                fmt::format("{} is the relay's own listen address {}: it would connect to itself", c.backends[i].text,
                            l.to_string()));
          break;
        }
    }
  }
  // The file's own empty lists are its errors (config/relay_config); these are the flags'.
  auto missing = [&](const char* flag, const char* key, const char* message) {
    if (o.config.empty()) p.add(0, flag, message);
    else p.in_file(key, message);
  };
  if (p.ok() && c.listen.empty()) missing("LISTEN", "relay.listen", "needs at least one listen address (LISTEN... or relay.listen)");
  if (p.ok() && c.backends.empty()) missing("--to", "relay.backends", "needs at least one backend (--to or relay.backends)");
  if (!p.ok()) return tl::unexpected(p.done());
  return c;
}

}  // namespace reach::tools::relay
