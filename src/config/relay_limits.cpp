#include "config/relay_limits.hpp"

#include <fmt/format.h>

#include "config/config_words.hpp"
#include "config/values.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

using words::at;
using words::idx;
using yaml::Walker;

namespace {

void parse_level(Walker& w, const yaml::Node& n, const std::string& path, PrefixLimit& l,
                 std::initializer_list<int> lens, bool may_be_off) {
  if (may_be_off && n.IsScalar()) {
    auto on = w.boolean(n, path);
    if (on && !*on) l.len = 0;
    else if (on) w.error(n, path, "is a map of prefix, conns, rate, burst, or off");
    return;
  }
  for (auto& [k, v] : w.entries(n, path, {"prefix", "conns", "rate", "burst"})) {
    const std::string p = at(path, k);
    if (k == "prefix") {
      if (auto x = w.integer(v, p, 0, 128)) {
        bool fits = false;
        for (int len : lens) fits = fits || len == *x;
        std::string list;
        for (int len : lens) list += (list.empty() ? "" : " or ") + std::to_string(len);
        if (fits) l.len = static_cast<int>(*x);
        else w.error(v, p, "must be " + list);
      }
    } else if (k == "conns") {
      if (auto x = w.integer(v, p, 0, 10000000)) l.max_conns = static_cast<std::uint32_t>(*x);
    } else if (k == "rate") {
      if (auto x = w.number(v, p, 0, 1e7)) l.rate = *x;
    } else if (auto x = w.number(v, p, 1, 1e7)) {
      l.burst = *x;
    }
  }
  if (l.rate > 0 && l.burst < 1) l.burst = l.rate;
}

}  // namespace

void parse_relay_limits_node(Walker& w, const yaml::Node& n, const std::string& path, RelayLimitsConfig& c) {
  for (auto& [k, v] : w.entries(n, path, {"ipv4", "ipv6", "ipv6_wide", "max_conns", "max_memory", "max_prefixes",
                                          "ban", "blackhole", "nft_idle", "allow"})) {
    const std::string p = at(path, k);
    if (k == "ipv4") {
      parse_level(w, v, p, c.v4, {32, 24}, false);
    } else if (k == "ipv6") {
      parse_level(w, v, p, c.v6, {128, 64, 56, 48}, false);
    } else if (k == "ipv6_wide") {
      parse_level(w, v, p, c.v6_wide, {64, 56, 48, 32}, true);
    } else if (k == "max_conns") {
      if (auto x = w.integer(v, p, 1, 10000000)) c.max_conns = static_cast<std::uint32_t>(*x);
    } else if (k == "max_prefixes") {
      if (auto x = w.integer(v, p, 100, 100000000)) c.max_prefixes = static_cast<std::size_t>(*x);
    } else if (k == "max_memory") {
      if (auto s = w.str(v, p)) {
        if (auto b = parse_byte_size(*s)) c.max_memory = *b;
        else w.error(v, p, fmt::format("\"{}\" is not a byte size like 256MiB", *s));
      }
    } else if (k == "ban") {
      if (v.IsScalar()) {
        auto on = w.boolean(v, p);
        if (on && !*on) c.ban_after = 0;
        else if (on) w.error(v, p, "is a map of after, window, time, or off");
        continue;
      }
      for (auto& [bk, bv] : w.entries(v, p, {"after", "window", "time"})) {
        const std::string bp = at(p, bk);
        if (bk == "after") {
          if (auto x = w.integer(bv, bp, 1, 1000000)) c.ban_after = static_cast<std::uint32_t>(*x);
        } else if (auto d = w.duration(bv, bp, kNsPerSec, 30LL * 24 * 3600 * kNsPerSec)) {
          (bk == "window" ? c.ban_window : c.ban_time) = *d;
        }
      }
    } else if (k == "blackhole") {
      if (auto b = w.boolean(v, p)) c.blackhole = *b;
    } else if (k == "nft_idle") {
      if (auto d = w.duration(v, p, 0, 86400 * kNsPerSec)) c.nft_idle = *d;
    } else {
      std::size_t i = 0;
      for (const auto& item : w.items(v, p)) {
        const std::string ip = idx(p, i++);
        auto s = w.str(item, ip);
        if (!s) continue;
        if (auto pre = parse_prefix(*s)) c.allow.push_back(*pre);
        else w.error(item, ip, prefix_error(*s));
      }
    }
  }
}

ConfigResult<RelayLimitsConfig> parse_relay_limits(std::string_view text, const std::string& source) {
  Walker w(source);
  RelayLimitsConfig c;
  try {
    auto doc = yaml::load(text, w);
    if (!doc) return tl::unexpected(w.take_errors());
    const yaml::Node root = doc->root();
    if (root.IsMap()) {
      for (auto& [k, v] : w.entries(root, "", {})) {
        if (k != "relay" || !v.IsMap()) continue;
        for (auto& [rk, rv] : w.entries(v, "relay", {})) {
          if (rk == "limits") parse_relay_limits_node(w, rv, "relay.limits", c);
        }
      }
    }
  } catch (const std::exception& e) {  // yaml-cpp's, or bad_alloc: never past this layer
    w.error(0, "", fmt::format("cannot read: {}", e.what()));
  }
  if (!w.ok()) return tl::unexpected(w.take_errors());
  return c;
}

}  // namespace reach::config
