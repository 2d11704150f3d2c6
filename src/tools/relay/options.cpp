// The relay's config as the command line and the file give it: the file's `relay:` section,
// flags over it, every address checked before anything opens.
#include <cerrno>
#include <fstream>
#include <sstream>

#include "config/values.hpp"
#include "io/listen_address.hpp"
#include "tools/relay/server.hpp"

namespace reach::tools::relay {

namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("read", path, errno);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<std::vector<IpPrefix>> prefixes(const std::vector<std::string>& texts, const char* flag) {
  std::vector<IpPrefix> out;
  for (const auto& t : texts) {
    auto p = parse_prefix(t);
    if (!p) return fail(flag, t, 0, "not a prefix like 198.18.0.0/15 or 2001:db8::/32");
    out.push_back(*p);
  }
  return out;
}

Result<TimeNs> duration(const std::optional<std::string>& text, TimeNs current, const char* flag) {
  if (!text) return current;
  auto d = config::parse_duration(*text);
  if (!d || *d <= 0) return fail(flag, *text, 0, "not a duration like 5s or 500ms");
  return *d;
}

}  // namespace

Result<config::RelayConfig> build_config(const RelayOptions& o, std::ostream& err) {
  config::RelayConfig c;
  if (!o.config.empty()) {
    auto text = read_file(o.config);
    if (!text) return tl::unexpected(text.error());
    auto parsed = config::parse_relay_config(*text, o.config);
    if (!parsed) {
      err << parsed.error().message() << '\n';
      return fail("config", o.config, 0, "invalid");
    }
    c = std::move(*parsed);
  }
  if (!o.listen.empty()) c.listen = o.listen;
  if (!o.to.empty()) {
    c.backends.clear();
    for (const auto& t : o.to) {
      auto b = config::parse_backend(t);
      if (!b) return tl::unexpected(b.error());
      c.backends.push_back(*b);
    }
  }
  if (o.send_proxy) {
    auto m = config::parse_proxy_send(*o.send_proxy);
    if (!m) return fail("--send-proxy", *o.send_proxy, 0, "must be v1, v2 or none");
    c.send_proxy = *m;
  }
  if (o.balance) {
    auto b = config::parse_balance(*o.balance);
    if (!b) return fail("--balance", *o.balance, 0, "must be roundrobin or leastconn");
    c.balance = *b;
  }
  if (!o.accept_proxy.empty()) {
    auto p = prefixes(o.accept_proxy, "--accept-proxy");
    if (!p) return tl::unexpected(p.error());
    c.accept_proxy = *p;
  }
  if (!o.trusted.empty()) {
    auto p = prefixes(o.trusted, "--trusted");
    if (!p) return tl::unexpected(p.error());
    c.trusted = *p;
  }
  if (o.http) c.http = true;
  if (o.no_health) c.health_checks = false;
  if (o.no_blackhole) c.limits.blackhole = false;
  if (o.metrics) c.metrics = *o.metrics;
  if (o.user) c.user = *o.user;
  auto ct = duration(o.connect_timeout, c.connect_timeout, "--connect-timeout");
  auto it = duration(o.idle_timeout, c.idle_timeout, "--idle-timeout");
  auto ht = duration(o.head_timeout, c.head_timeout, "--head-timeout");
  if (!ct) return tl::unexpected(ct.error());
  if (!it) return tl::unexpected(it.error());
  if (!ht) return tl::unexpected(ht.error());
  c.connect_timeout = *ct, c.idle_timeout = *it, c.head_timeout = *ht;
  if (c.listen.empty()) return fail("relay", "", 0, "needs at least one listen address (LISTEN... or relay.listen)");
  if (c.backends.empty()) return fail("relay", "", 0, "needs at least one backend (--to or relay.backends)");
  for (const auto& l : c.listen)
    if (auto a = io::parse_listen_address(l); !a) return tl::unexpected(a.error());
  return c;
}

}  // namespace reach::tools::relay
