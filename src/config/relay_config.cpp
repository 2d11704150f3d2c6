#include "config/relay_config.hpp"

#include <fmt/format.h>

#include "base/address.hpp"
#include "config/config_words.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

using words::at;
using words::idx;
using yaml::Walker;

std::optional<ProxySend> parse_proxy_send(std::string_view s) {
  if (s == "v1") return ProxySend::v1;
  if (s == "v2") return ProxySend::v2;
  if (s == "none") return ProxySend::none;
  return std::nullopt;
}

std::string must_be(std::string_view value, const char* words) {
  return fmt::format("\"{}\" must be {}", value, words);
}

const char* proxy_send_word(ProxySend p) {
  return p == ProxySend::v1 ? "v1" : p == ProxySend::v2 ? "v2" : "none";
}

std::optional<Balance> parse_balance(std::string_view s) {
  if (s == "roundrobin" || s == "round-robin") return Balance::roundrobin;
  if (s == "leastconn") return Balance::leastconn;
  return std::nullopt;
}

Result<RelayBackend> parse_backend(std::string_view text) {
  auto a = parse_address(text, AddressForm::host_port);
  if (!a) return tl::unexpected(a.error());
  if (!a->literal || !a->zone.empty())
    return fail("backend", std::string(text), 0, "needs an IPv4 or IPv6 address and a port (names are not resolved)");
  RelayBackend b;
  b.addr = *a->literal;
  b.port = *a->port;
  b.text = b.addr.is_v4() ? fmt::format("{}:{}", b.addr.to_string(), b.port)
                          : fmt::format("[{}]:{}", b.addr.to_string(), b.port);
  return b;
}

namespace {

std::vector<IpPrefix> prefixes(Walker& w, const yaml::Node& n, const std::string& path) {
  std::vector<IpPrefix> out;
  std::size_t i = 0;
  for (const auto& item : w.items(n, path)) {
    const std::string p = idx(path, i++);
    auto s = w.str(item, p);
    if (!s) continue;
    if (auto pre = parse_prefix(*s)) out.push_back(*pre);
    else w.error(item, p, prefix_error(*s));
  }
  return out;
}

void parse_backend_item(Walker& w, const yaml::Node& n, const std::string& path, RelayConfig& c) {
  std::optional<std::string> addr;
  std::optional<ProxySend> send;
  if (n.IsScalar()) {
    addr = w.str(n, path);
  } else {
    for (auto& [k, v] : w.entries(n, path, {"address", "send_proxy"})) {
      if (k == "address") {
        addr = w.str(v, at(path, k));
      } else if (auto s = w.str(v, at(path, k))) {
        send = parse_proxy_send(*s);
        if (!send) w.error(v, at(path, k), must_be(*s, kProxyWords));
      }
    }
    if (!addr && n.IsMap()) w.error(n, path, "needs an address");
  }
  if (!addr) return;
  auto b = parse_backend(*addr);
  if (!b) {
    w.error(n, path, b.error().message());
    return;
  }
  b->send_proxy = send;
  b->line = yaml::line_of(n);
  c.backends.push_back(std::move(*b));
}

// `listen:` and `backends:` alike: one value, or a list of them; an empty one is this file's
// error at the key's line (flags never make up for the file: it must stand on its own).
std::vector<yaml::Node> one_or_list(Walker& w, const yaml::Node& n, const std::string& path, const char* what) {
  if (n.IsScalar()) return {n};
  auto items = w.items(n, path);
  if (items.empty() && (n.IsNull() || n.IsSequence()))
    w.error(n, path, fmt::format("needs at least one {}", what));
  return items;
}

void parse_section(Walker& w, const yaml::Node& v, RelayConfig& c) {
  const std::string k = "relay";
  for (auto& [rk, rv] : w.entries(v, k, {"listen", "backends", "send_proxy", "balance", "http", "trusted",
                                          "accept_proxy", "timeouts", "max_head", "pipe_size", "health",
                                          "metrics", "limits"})) {
    const std::string p = at(k, rk);
    if (rk == "listen") {
      // One line per address, for the tool's checks of each (tools/relay/options.cpp).
      const auto items = one_or_list(w, rv, p, "listen address");
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (auto l = w.str(items[i], rv.IsScalar() ? p : idx(p, i))) {
          c.listen.push_back(*l);
          c.listen_lines.push_back(yaml::line_of(items[i]));
        }
      }
    } else if (rk == "backends") {
      const auto items = one_or_list(w, rv, p, "backend");
      for (std::size_t i = 0; i < items.size(); ++i) parse_backend_item(w, items[i], rv.IsScalar() ? p : idx(p, i), c);
    } else if (rk == "send_proxy") {
      if (auto s = w.str(rv, p)) {
        if (auto m = parse_proxy_send(*s)) c.send_proxy = *m;
        else w.error(rv, p, must_be(*s, kProxyWords));
      }
    } else if (rk == "balance") {
      if (auto s = w.str(rv, p)) {
        if (auto b = parse_balance(*s)) c.balance = *b;
        else w.error(rv, p, must_be(*s, kBalanceWords));
      }
    } else if (rk == "http") {
      if (auto b = w.boolean(rv, p)) c.http = *b;
    } else if (rk == "trusted") {
      c.trusted = prefixes(w, rv, p);
    } else if (rk == "accept_proxy") {
      c.accept_proxy = prefixes(w, rv, p);
    } else if (rk == "timeouts") {
      for (auto& [tk, tv] : w.entries(rv, p, {"connect", "idle", "head"})) {
        auto d = w.duration(tv, at(p, tk), 10 * kNsPerMs, 24 * 3600 * kNsPerSec);
        if (!d) continue;
        (tk == "connect" ? c.connect_timeout : tk == "idle" ? c.idle_timeout : c.head_timeout) = *d;
      }
    } else if (rk == "max_head") {
      if (auto n = w.integer(rv, p, 1024, 1 << 20)) c.max_head = static_cast<std::size_t>(*n);
    } else if (rk == "pipe_size") {
      if (auto n = w.integer(rv, p, 4096, 1 << 20)) c.pipe_bytes = static_cast<int>(*n);
    } else if (rk == "health") {
      if (rv.IsScalar()) {
        if (auto b = w.boolean(rv, p)) c.health_checks = *b;
        continue;
      }
      for (auto& [hk, hv] : w.entries(rv, p, {"interval", "timeout", "fall", "rise"})) {
        const std::string hp = at(p, hk);
        if (hk == "interval" || hk == "timeout") {
          if (auto d = w.duration(hv, hp, 10 * kNsPerMs, 3600 * kNsPerSec))
            (hk == "interval" ? c.health.interval : c.health.timeout) = *d;
        } else if (auto n = w.integer(hv, hp, 1, 100)) {
          (hk == "fall" ? c.health.fall : c.health.rise) = static_cast<int>(*n);
        }
      }
    } else if (rk == "metrics") {
      if (auto s = w.str(rv, p)) c.metrics = *s, c.metrics_line = yaml::line_of(rv);
    } else if (rk == "limits") {
      parse_relay_limits_node(w, rv, p, c.limits);  // config/relay_limits: the flood defences
    }
  }
  // Only when the key is missing: a bad entry already has its own error.
  if (!v.IsMap()) return;
  if (!v["listen"].IsDefined()) w.error(v, k, "needs listen: (one address or a list)");
  if (!v["backends"].IsDefined()) w.error(v, k, "needs backends: (one address:port or a list)");
}

}  // namespace

ConfigErrors parse_relay_config_into(std::string_view text, const std::string& source, RelayConfig& c) {
  Walker w(source);
  c.source = source;
  try {
    auto doc = yaml::load(text, w);
    if (!doc) return w.take_errors();
    const yaml::Node root = doc->root();
    auto sections = yaml::file_sections(root, w, "relay:, user:, ...");
    if (!sections) return w.take_errors();
    bool has = false;
    for (auto& [k, v] : *sections) {
      if (k == "user") {
        if (auto s = w.str(v, k)) c.user = *s, c.user_line = yaml::line_of(v);
      } else if (k == "relay") {
        has = true;
        parse_section(w, v, c);
      }
    }
    if (!has) w.error(0, "", "no relay: section");
  } catch (const std::exception& e) {  // yaml-cpp's, or bad_alloc: never past this layer
    w.error(0, "", fmt::format("cannot read: {}", e.what()));
  }
  return w.take_errors();
}

ConfigResult<RelayConfig> parse_relay_config(std::string_view text, const std::string& source) {
  RelayConfig c;
  ConfigErrors e = parse_relay_config_into(text, source, c);
  if (!e.items.empty()) return tl::unexpected(std::move(e));
  return c;
}

}  // namespace reach::config
