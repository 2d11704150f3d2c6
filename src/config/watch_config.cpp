#include "config/watch_config.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <map>

#include "base/address.hpp"
#include "base/ip_addr.hpp"
#include "config/config_words.hpp"
#include "config/values.hpp"
#include "config/watch_snmp_parse.hpp"
#include "config/watch_dnsbl.hpp"
#include "config/watch_path_parse.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

std::string ConfigError::text() const {
  std::string where = line > 0 ? fmt::format("{}:{}", source, line) : source;
  return path.empty() ? fmt::format("{}: {}", where, message) : fmt::format("{}: {}: {}", where, path, message);
}

std::string ConfigErrors::message() const {
  std::string out;
  for (const auto& e : items) out += (out.empty() ? "" : "\n") + e.text();
  return out;
}

Error ConfigErrors::to_error() const {
  return Error{"config", items.empty() ? std::string() : items.front().source, 0, message()};
}

bool AlertRule::applies_to(std::string_view target) const {
  if (targets.empty()) return true;
  std::string t(target);
  for (const auto& pattern : targets)
    if (pattern == t || fnmatch(pattern.c_str(), t.c_str(), 0) == 0) return true;
  return false;
}

const WatchTarget* WatchConfig::find_target(std::string_view name) const {
  auto it = std::lower_bound(by_name.begin(), by_name.end(), name,
                             [&](std::size_t i, std::string_view n) { return targets[i].name < n; });
  return it != by_name.end() && targets[*it].name == name ? &targets[*it] : nullptr;
}

const Notifier* WatchConfig::find_notifier(std::string_view name) const {
  auto it = std::lower_bound(notifiers.begin(), notifiers.end(), name,
                             [](const Notifier& n, std::string_view v) { return n.name < v; });
  return it != notifiers.end() && it->name == name ? &*it : nullptr;
}

namespace {

using yaml::Walker;
using words::at;
using words::idx;
using words::is_host;
using words::is_name;
using words::is_tz;
using words::printable;
using words::url_scheme;
constexpr TimeNs kMaxInterval = 86400 * kNsPerSec;
constexpr TimeNs kMinInterval = 10 * kNsPerMs;
constexpr TimeNs kDay = 86400 * kNsPerSec;
constexpr TimeNs kMaxRetention = 100 * 365 * kDay;

// A name, or an address with its port as base/address writes it ("[2001:db8::1]:80").
bool is_target_name(std::string_view s) {
  std::string t(s);
  std::replace_if(t.begin(), t.end(), [](char c) { return c == '[' || c == ']'; }, '_');
  return is_name(t);
}

bool is_label_name(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.substr(0, 2) == "__" || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "host:port", "[v6]:port", ":port"; port 1..65535.
bool is_listen(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == s.npos) return false;
  auto host = s.substr(0, colon), port = s.substr(colon + 1);
  if (!port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return false;
  } else {
    return false;
  }
  if (host.empty()) return true;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  return is_host(host) && host.find(':') == host.npos;
}

std::optional<model::WatchProbe> probe_from(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, model::WatchProbe>, 8> kKinds = {
      {{"icmp", model::WatchProbe::icmp},
       {"tcp", model::WatchProbe::tcp},
       {"syn", model::WatchProbe::syn},
       {"udp", model::WatchProbe::udp},
       {"http", model::WatchProbe::http},
       {"dns", model::WatchProbe::dns},
       {"snmp", model::WatchProbe::snmp},
       {"dnsbl", model::WatchProbe::dnsbl}}};
  for (auto [n, k] : kKinds)
    if (n == s) return k;
  return std::nullopt;
}

// What a target entry said, before defaults are applied.
struct RawTarget {
  WatchTarget t;
  std::optional<TimeNs> interval, timeout;
  std::optional<int> packets;
  std::optional<std::uint64_t> body_size_limit;
  bool has_probe = false, has_port = false, has_host = false, has_dns = false, has_url = false;
  bool has_packets = false, has_http_fields = false, has_cert = false;
  bool has_snmp = false, has_oids = false;
  yaml::Node node;
};

void parse_dns(Walker& w, const yaml::Node& n, const std::string& path, DnsQuery& q) {
  for (auto& [k, v] : w.entries(n, path, {"server", "name", "type"})) {
    auto p = at(path, k);
    if (k == "server") {
      if (auto s = w.str(v, p)) {
        if (is_host(*s)) q.server = *s;
        else w.error(v, p, "must be host, host:port or [v6]:port");
      }
    } else if (k == "name") {
      if (auto s = w.str(v, p)) {
        if (s->size() <= 253 && printable(*s, false)) q.name = *s;
        else w.error(v, p, "must be a domain name of at most 253 characters");
      }
    } else if (k == "type") {
      if (auto s = w.str(v, p)) {
        std::string up;
        for (char c : *s) up += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
        static constexpr std::array<std::string_view, 11> kTypes = {"A",  "AAAA", "CNAME", "MX",  "NS", "PTR",
                                                                    "SOA", "SRV", "TXT",   "CAA", "ANY"};
        if (std::find(kTypes.begin(), kTypes.end(), up) != kTypes.end()) q.type = up;
        else w.error(v, p, "must be one of A AAAA CNAME MX NS PTR SOA SRV TXT CAA ANY");
      }
    }
  }
  if ((n.IsMap() || n.IsNull()) && !n["name"].IsDefined())
    w.error(n, path + ".name", "is required");
}

// `body_size_limit: 1MiB` (a byte size as usage caps take it; 0 = no limit).
std::optional<std::uint64_t> parse_body_size_limit(Walker& w, const yaml::Node& v, const std::string& p) {
  auto s = w.str(v, p);
  if (!s) return std::nullopt;
  auto size = parse_byte_size(*s);
  if (!size) w.error(v, p, size.error().detail + " (0 = no limit)");
  return size ? std::optional(*size) : std::nullopt;
}

RawTarget parse_target(Walker& w, const yaml::Node& n, const std::string& path) {
  RawTarget r;
  r.node = n;
  WatchTarget& t = r.t;
  t.line = yaml::line_of(n);
  if (!n.IsMap()) {
    w.error(n, path, "must be a map ({name: ..., probe: ..., host: ...})");
    return r;
  }
  for (auto& [k, v] : w.entries(n, path,
                                {"name", "probe", "module", "host", "port", "url", "packets", "interval", "timeout",
                                 "expect_status", "body", "body_regex", "cert_days", "dns", "snmp", "oids", "labels",
                                 "zones", "dns_server", "path", "body_size_limit"})) {
    auto p = at(path, k);
    if (k == "name") {
      if (auto s = w.str(v, p)) {
        if (is_target_name(*s)) t.name = *s;
        else w.error(v, p, "must be 1..128 of the characters A-Z a-z 0-9 _ . : - [ ]");
      }
    } else if (k == "probe") {
      r.has_probe = true;
      if (auto s = w.str(v, p)) {
        if (auto kind = probe_from(*s)) t.probe = *kind;
        else w.error(v, p, "must be one of icmp, tcp, syn, udp, http, dns, snmp, dnsbl");
      }
    } else if (k == "module") {
      if (auto s = w.str(v, p)) t.module = *s;
    } else if (k == "host") {
      r.has_host = true;
      if (auto s = w.str(v, p)) {
        // A colon is never in a host name: "::1:18500" or "::1%lo" passed --validate and stayed
        // down for ever. IPv6 is bare or in brackets (as command-line targets give it), its port
        // under port:.
        const bool colon = s->find(':') != std::string::npos;
        std::string_view bare = *s;
        if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
        auto a = colon ? IpAddr::parse(bare) : std::nullopt;
        if (is_host(*s) && (!colon || (a && !a->is_v4() && bare.find('%') == std::string::npos))) t.host = *s;
        else if (colon) w.error(v, p, "\"" + *s + "\" is not an IPv6 address (no port or zone here; the port goes under port:)");
        else w.error(v, p, "must be an address or host name");
      }
    } else if (k == "port") {
      r.has_port = true;
      if (auto x = w.integer(v, p, 1, 65535)) t.port = static_cast<int>(*x);
    } else if (k == "url") {
      r.has_url = true;
      if (auto s = w.str(v, p)) {
        if (!url_scheme(*s, {"http", "https"}).empty()) t.url = *s;
        else w.error(v, p, "must be an http:// or https:// URL with a host");
      }
    } else if (k == "packets") {
      r.has_packets = true;
      if (auto x = w.integer(v, p, 1, 1000)) r.packets = static_cast<int>(*x);
    } else if (k == "interval") {
      r.interval = w.duration(v, p, kMinInterval, kMaxInterval);
    } else if (k == "timeout") {
      r.timeout = w.duration(v, p, kNsPerMs, kMaxInterval);
    } else if (k == "expect_status") {
      r.has_http_fields = true;
      if (auto s = w.str(v, p)) {
        if (auto st = parse_status_set(*s)) {
          t.expect_status = *st;
          t.expect_status_text = *s;
        } else {
          w.error(v, p, "must be statuses or ranges within 100-599 (\"200-399\", \"200,204\")");
        }
      }
    } else if (k == "body") {
      r.has_http_fields = true;
      if (auto s = w.str(v, p)) t.body = *s;
    } else if (k == "body_regex") {
      r.has_http_fields = true;
      if (auto s = w.str(v, p)) {
        if (s->size() <= 4096) t.body_regex = *s;
        else w.error(v, p, "must be at most 4096 characters");
      }
    } else if (k == "body_size_limit") {
      r.body_size_limit = parse_body_size_limit(w, v, p);
    } else if (k == "cert_days") {
      r.has_cert = true;
      if (auto x = w.integer(v, p, 0, 36500)) t.cert_days = static_cast<int>(*x);
    } else if (k == "dns") {
      r.has_dns = true;
      parse_dns(w, v, p, t.dns);
    } else if (k == "snmp") {
      r.has_snmp = true;
      parse_watch_snmp_session(w, v, p, t.snmp.session);
    } else if (k == "oids") {
      r.has_oids = true;
      parse_watch_snmp_oids(w, v, p, t.snmp.oids);
    } else if (k == "zones" || k == "dns_server") {
      parse_dnsbl_key(w, k, v, path, t);
    } else if (k == "labels") {
      if (auto m = w.str_map(v, p)) {
        for (auto& [name, value] : *m) {
          if (!is_label_name(name) || name == "target" || name == "probe" || name == "module")
            w.error(v, at(p, name),
                    "label names are [a-zA-Z_][a-zA-Z0-9_]*, not starting with __, and not target, probe or module");
          else if (value.size() > 1024)
            w.error(v, at(p, name), "must be at most 1024 characters");
          else
            t.labels.emplace_back(name, value);
        }
        std::sort(t.labels.begin(), t.labels.end());
      }
    }
  }
  if (!n["name"].IsDefined()) w.error(n, path + ".name", "is required");
  if (r.has_probe && !t.module.empty()) w.error(n, path, "give either probe or module, not both");
  return r;
}

// The probe kind's own rules: which fields it needs and which make no sense for it.
void check_target_fields(Walker& w, RawTarget& r, const std::string& path) {
  WatchTarget& t = r.t;
  auto refuse = [&](bool present, std::string_view field, std::string_view why) {
    if (present) w.error(r.node, at(path, field), std::string(why));
  };
  if (!t.module.empty()) {
    if (!r.has_host && !r.has_url) w.error(r.node, path, "a module target needs host (and port) or url");
    refuse(r.has_http_fields || r.has_cert || r.has_dns, "module",
           "expect_status, body, body_regex, cert_days and dns come from the module, not the target");
    refuse(r.node["body_size_limit"].IsDefined(), "body_size_limit", "comes from the module (its body_size_limit)");
    refuse(r.has_snmp || r.has_oids, "module", "snmp and oids are for probe snmp (blackbox modules have no snmp)");
    return;
  }
  if (!r.has_probe) {  // inferred from the fields given
    t.probe = r.has_url ? model::WatchProbe::http
              : r.has_dns ? model::WatchProbe::dns
              : r.has_oids ? model::WatchProbe::snmp
              : r.node["zones"].IsDefined() ? model::WatchProbe::dnsbl
              : r.has_port ? model::WatchProbe::tcp
                           : model::WatchProbe::icmp;
  }
  bool http = t.probe == model::WatchProbe::http, dns = t.probe == model::WatchProbe::dns;
  bool icmp = t.probe == model::WatchProbe::icmp;
  bool ports = t.probe == model::WatchProbe::tcp || t.probe == model::WatchProbe::syn || t.probe == model::WatchProbe::udp;
  if (!http) {
    refuse(r.has_url, "url", "only for probe http");
    refuse(r.has_http_fields, "expect_status", "expect_status, body and body_regex are only for probe http");
    refuse(r.has_cert, "cert_days", "only for probe http");
    refuse(r.node["body_size_limit"].IsDefined(), "body_size_limit", "only for probe http");
  }
  if (!dns) refuse(r.has_dns, "dns", "only for probe dns");
  const bool snmp = t.probe == model::WatchProbe::snmp;
  if (!snmp) {
    refuse(r.has_snmp, "snmp", "only for probe snmp");
    refuse(r.has_oids, "oids", "only for probe snmp");
  } else {
    if (!r.has_host) w.error(r.node, at(path, "host"), "is required for probe snmp");
    if (!r.has_oids) w.error(r.node, at(path, "oids"), "is required for probe snmp (the OIDs to GET)");
    for (const auto& [name, value] : t.labels)  // reach_watch_snmp_value's own labels
      if (name == "oid" || name == "name")
        w.error(r.node, at(at(path, "labels"), name), "is a label of every SNMP series here; choose another name");
  }
  check_dnsbl_fields(w, r.node, path, t, r.has_port);
  check_path_fields(w, r.node, path, t);
  if (!icmp) refuse(r.has_packets, "packets", "only for probe icmp");
  if (http) {
    refuse(r.has_host, "host", "probe http takes url (host and port are in it)");
    refuse(r.has_port, "port", "probe http takes url (host and port are in it)");
    if (!r.has_url) w.error(r.node, at(path, "url"), "is required for probe http");
    if (r.has_cert && t.cert_days > 0 && !t.url.empty() && t.url.substr(0, 8) != "https://")
      w.error(r.node, at(path, "cert_days"), "needs an https:// url");
  }
  if (icmp) {
    refuse(r.has_port, "port", "probe icmp has no port");
    if (!r.has_host) w.error(r.node, at(path, "host"), "is required for probe icmp");
  }
  if (ports) {
    if (!r.has_host) w.error(r.node, at(path, "host"), "is required");
    if (!r.has_port) w.error(r.node, at(path, "port"), "is required for probes tcp, syn and udp");
  }
  if (dns) {
    if (!r.has_dns) w.error(r.node, at(path, "dns.name"), "is required");
    if (t.dns.server.empty()) {
      if (t.host.empty()) {
        if (!r.has_host) w.error(r.node, at(path, "dns.server"), "is required (or host)");
      } else {
        t.dns.server = t.port ? join_host_port(t.host, static_cast<std::uint16_t>(t.port)) : t.host;
      }
    }
  }
}

// Defaults, then the checks that need the resolved values.
void resolve_timing(Walker* w, WatchTarget& t, const WatchConfig& c, std::optional<TimeNs> interval,
                    std::optional<TimeNs> timeout, std::optional<int> packets, const std::string& path) {
  t.own_interval = interval.has_value();
  t.own_timeout = timeout.has_value();
  t.own_packets = packets.has_value();
  const bool dnsbl = t.probe == model::WatchProbe::dnsbl && t.module.empty();
  t.interval = interval.value_or(dnsbl ? kDnsblInterval : c.default_interval);
  if (timeout) {
    t.timeout = *timeout;
  } else {
    t.timeout = std::min(t.interval, dnsbl ? kDnsblTimeout : c.default_timeout.value_or(kNsPerSec));
  }
  if (packets) t.packets = *packets;
  else if (c.default_packets) t.packets = *c.default_packets;
  else t.packets = static_cast<int>(std::clamp<TimeNs>(t.interval / kNsPerSec, 1, 20));
  if (t.probe != model::WatchProbe::icmp || !t.module.empty()) {
    if (!packets) t.packets = 1;
  }
  if (!w) return;
  if (t.timeout > t.interval)
    w->error(t.line, path + ".timeout",
             fmt::format("{} is longer than the interval {}", format_duration(t.timeout), format_duration(t.interval)));
  if (t.packets > 1 && t.interval / t.packets < kNsPerMs)
    w->error(t.line, path + ".packets", "more than one packet per millisecond of interval");
}

void parse_defaults(Walker& w, const yaml::Node& n, WatchConfig& c) {
  for (auto& [k, v] : w.entries(n, "defaults", {"interval", "timeout", "packets", "path", "body_size_limit"})) {
    auto p = at("defaults", k);
    if (k == "interval") {
      if (auto d = w.duration(v, p, kMinInterval, kMaxInterval)) c.default_interval = *d;
    } else if (k == "timeout") {
      c.default_timeout = w.duration(v, p, kNsPerMs, kMaxInterval);
    } else if (k == "packets") {
      if (auto x = w.integer(v, p, 1, 1000)) c.default_packets = static_cast<int>(*x);
    } else if (k == "path") {
      c.default_path = parse_path_settings(w, v, p, c.default_path);
    } else if (k == "body_size_limit") {
      c.default_body_size_limit = parse_body_size_limit(w, v, p);
    }
  }
  if (c.default_timeout && *c.default_timeout > c.default_interval)
    w.error(n, "defaults.timeout", "is longer than defaults.interval");
}

std::optional<int> parse_hhmm(std::string_view s, bool allow_24) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto d = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -100; };
  int h = d(0) * 10 + d(1), m = d(3) * 10 + d(4);
  if (h < 0 || m < 0 || m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return 1440;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

std::optional<int> day_of(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kShort = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  static constexpr std::array<std::string_view, 7> kLong = {"monday", "tuesday",  "wednesday", "thursday",
                                                            "friday", "saturday", "sunday"};
  std::string low;
  for (char c : s) low += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  for (int i = 0; i < 7; ++i)
    if (low == kShort[static_cast<std::size_t>(i)] || low == kLong[static_cast<std::size_t>(i)]) return i;
  return std::nullopt;
}

void parse_maintenance(Walker& w, const yaml::Node& n, const std::string& path, AlertRule& a) {
  std::size_t i = 0;
  for (const auto& item : w.items(n, path)) {
    auto p = idx(path, i++);
    bool weekly = item.IsMap() && item["days"].IsDefined();
    if (!weekly) {
      MaintenanceOnce m;
      bool good = true;
      for (auto& [k, v] : w.entries(item, p, {"from", "to"})) {
        auto s = w.str(v, at(p, k));
        auto t = s ? parse_rfc3339(*s) : std::nullopt;
        if (!t) {
          if (s) w.error(v, at(p, k), "must be an RFC 3339 time (2026-12-24T22:00:00Z or ...+01:00)");
          good = false;
        } else {
          (k == "from" ? m.from : m.to) = *t;
        }
      }
      if (item.IsMap() && (!item["from"].IsDefined() || !item["to"].IsDefined())) {
        w.error(item, p, "needs from and to (RFC 3339), or days, from and to (weekly)");
      } else if (item.IsMap() && good) {
        if (m.from >= m.to) w.error(item, p, "from must be before to");
        else a.maintenance.push_back(m);
      }
      continue;
    }
    MaintenanceWeekly m;
    bool good = true;
    for (auto& [k, v] : w.entries(item, p, {"days", "from", "to", "tz"})) {
      auto pk = at(p, k);
      if (k == "days") {
        auto days = w.str_list(v, pk, true);
        if (!days) {
          good = false;
          continue;
        }
        for (const auto& d : *days) {
          auto dash = d.find('-');
          auto a0 = day_of(d.substr(0, dash));
          auto a1 = dash == std::string::npos ? a0 : day_of(d.substr(dash + 1));
          if (!a0 || !a1) {
            w.error(v, pk, fmt::format("'{}' is not a day (mon..sun, or a range like mon-fri)", d));
            good = false;
            continue;
          }
          for (int x = *a0;; x = (x + 1) % 7) {
            m.days = static_cast<std::uint8_t>(m.days | (1u << x));
            if (x == *a1) break;
          }
        }
        if (days->empty()) {
          w.error(v, pk, "must name at least one day");
          good = false;
        }
      } else if (k == "from" || k == "to") {
        auto s = w.str(v, pk);
        auto minute = s ? parse_hhmm(*s, k == "to") : std::nullopt;
        if (!minute) {
          if (s) w.error(v, pk, "must be a local time HH:MM (00:00..23:59, to may be 24:00)");
          good = false;
        } else {
          (k == "from" ? m.from_minute : m.to_minute) = *minute;
        }
      } else if (k == "tz") {
        auto s = w.str(v, pk);
        if (s && is_tz(*s)) m.tz = *s;
        else if (s) w.error(v, pk, "must be a time zone name like Europe/Paris or UTC");
      }
    }
    if (!item["from"].IsDefined() || !item["to"].IsDefined()) {
      w.error(item, p, "a weekly window needs days, from and to");
      good = false;
    }
    if (good && m.from_minute == m.to_minute) {
      w.error(item, p, "from and to are the same time");
      good = false;
    }
    if (good) a.weekly.push_back(m);
  }
}

AlertRule parse_alert(Walker& w, const yaml::Node& n, const std::string& path) {
  AlertRule a;
  a.line = yaml::line_of(n);
  if (!n.IsMap()) {
    w.error(n, path, "must be a map ({name: ..., failures: ..., notify: [...]})");
    return a;
  }
  for (auto& [k, v] : w.entries(n, path, {"name", "failures", "successes", "flap", "reminder", "quorum", "notify",
                                          "targets", "maintenance"})) {
    auto p = at(path, k);
    if (k == "name") {
      if (auto s = w.str(v, p)) {
        if (is_name(*s)) a.name = *s;
        else w.error(v, p, "must be 1..128 of the characters A-Z a-z 0-9 _ . : -");
      }
    } else if (k == "failures") {
      if (auto x = w.integer(v, p, 1, 10000)) a.failures = static_cast<int>(*x);
    } else if (k == "successes") {
      if (auto x = w.integer(v, p, 1, 10000)) a.successes = static_cast<int>(*x);
    } else if (k == "flap") {
      if (v.IsScalar()) {
        if (auto b = w.boolean(v, p)) a.flap.enabled = *b;
        continue;
      }
      for (auto& [fk, fv] : w.entries(v, p, {"window", "low", "high"})) {
        if (fk == "window") {
          if (auto x = w.integer(fv, at(p, fk), 2, 64)) a.flap.window = static_cast<int>(*x);
        } else if (auto x = w.number(fv, at(p, fk), 0, 100)) {
          (fk == "low" ? a.flap.low : a.flap.high) = *x;
        }
      }
      if (a.flap.low > a.flap.high) w.error(v, p, "low must not be above high");
    } else if (k == "reminder") {
      if (auto d = w.duration(v, p, 0, kMaxRetention)) a.reminder = *d;
    } else if (k == "quorum") {
      if (auto x = w.integer(v, p, 1, 1000)) a.quorum = static_cast<int>(*x);
    } else if (k == "notify") {
      if (auto l = w.str_list(v, p, true)) a.notify = *l;
    } else if (k == "targets") {
      if (auto l = w.str_list(v, p, true)) a.targets = *l;
    } else if (k == "maintenance") {
      parse_maintenance(w, v, p, a);
    }
  }
  if (!n["name"].IsDefined()) w.error(n, path + ".name", "is required");
  return a;
}

void parse_history(Walker& w, const yaml::Node& n, HistoryRetention& h) {
  for (auto& [k, v] : w.entries(n, "history", {"raw", "minute", "hour"})) {
    auto d = w.duration(v, at("history", k), k == "raw" ? 60 * kNsPerSec : k == "minute" ? 3600 * kNsPerSec : kDay,
                        kMaxRetention);
    if (d) (k == "raw" ? h.raw : k == "minute" ? h.minute : h.hour) = *d;
  }
}

void parse_peers(Walker& w, const yaml::Node& n, PeersConfig& peers) {
  for (auto& [k, v] : w.entries(n, "peers", {"urls", "interval", "timeout", "stale"})) {
    auto p = at("peers", k);
    if (k == "urls") {
      auto items = w.items(v, p);
      for (std::size_t i = 0; i < items.size(); ++i)
        if (auto s = w.str(items[i], idx(p, i))) {
          if (!url_scheme(*s, {"http", "https"}).empty()) peers.urls.push_back(*s);
          else w.error(items[i], idx(p, i), "must be an http:// or https:// URL with a host (another agent's listen)");
        }
    } else if (auto d = w.duration(v, p, k == "stale" ? kNsPerSec : 10 * kNsPerMs, kDay)) {
      (k == "interval" ? peers.interval : k == "timeout" ? peers.timeout : peers.stale) = *d;
    }
  }
  if (peers.timeout > peers.interval) w.error(n, "peers.timeout", "must not be above peers.interval");
  if (peers.stale < peers.interval) w.error(n, "peers.stale", "must not be below peers.interval");
}

// The lines of a top-level section, from its key to the line before the next top-level key.
RawSection section_text(std::string_view text, int line, int next_line) {
  RawSection r;
  r.line = line;
  std::size_t pos = 0;
  for (int l = 1; l < line && pos != std::string_view::npos; ++l) {
    pos = text.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos == std::string_view::npos) return r;
  std::size_t end = pos;
  for (int l = line; (next_line == 0 || l < next_line) && end != std::string_view::npos; ++l) {
    end = text.find('\n', end);
    if (end != std::string_view::npos) ++end;
  }
  r.yaml = std::string(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
  return r;
}

bool has_glob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

void cross_check(Walker& w, WatchConfig& c) {
  // Unique target names; the sorted index serves find_target.
  c.by_name.resize(c.targets.size());
  for (std::size_t i = 0; i < c.targets.size(); ++i) c.by_name[i] = i;
  std::stable_sort(c.by_name.begin(), c.by_name.end(),
                   [&](std::size_t a, std::size_t b) { return c.targets[a].name < c.targets[b].name; });
  for (std::size_t i = 1; i < c.by_name.size(); ++i) {
    const auto& a = c.targets[c.by_name[i - 1]];
    const auto& b = c.targets[c.by_name[i]];
    if (!a.name.empty() && a.name == b.name)
      w.error(b.line, idx("targets", c.by_name[i]) + ".name",
              fmt::format("'{}' is already the name of the target at line {}", b.name, a.line));
  }
  std::map<std::string, int> alert_names;
  for (std::size_t i = 0; i < c.alerts.size(); ++i) {
    const auto& a = c.alerts[i];
    auto p = idx("alerts", i);
    if (!a.name.empty() && !alert_names.emplace(a.name, a.line).second)
      w.error(a.line, p + ".name", fmt::format("'{}' is already the name of the alert at line {}", a.name, alert_names[a.name]));
    for (std::size_t j = 0; j < a.notify.size(); ++j)
      if (!c.find_notifier(a.notify[j]))
        w.error(a.line, idx(p + ".notify", j), fmt::format("no notifier '{}' under notifiers:", a.notify[j]));
    for (std::size_t j = 0; j < a.targets.size(); ++j)
      if (!has_glob(a.targets[j]) && !c.find_target(a.targets[j]))
        w.error(a.line, idx(p + ".targets", j), fmt::format("no target named '{}'", a.targets[j]));
    if (a.quorum > static_cast<int>(c.peers.urls.size()) + 1)
      w.error(a.line, p + ".quorum",
              fmt::format("{} agents cannot be reached with {} peers (this agent and its peers: at most {})", a.quorum,
                          c.peers.urls.size(), c.peers.urls.size() + 1));
  }
}

}  // namespace

ConfigResult<WatchConfig> parse_watch_config(std::string_view text, const std::string& source) {
  Walker w(source);
  WatchConfig c;
  c.source = source;
  try {
    auto doc = yaml::load(text, w);
    if (!doc) return tl::unexpected(w.take_errors());
    const yaml::Node top_node = doc->root();
    const yaml::Node* root = &top_node;
    auto sections = yaml::file_sections(*root, w, "listen:, targets:, ...");
    if (!sections) return tl::unexpected(w.take_errors());
    auto& top = *sections;
    // `defaults` first: targets resolve against it wherever it sits in the file.
    for (auto& [k, v] : top)
      if (k == "defaults") parse_defaults(w, v, c);
    std::vector<int> key_lines;
    for (const auto& kv : root->entries()) key_lines.push_back(yaml::line_of(kv.first));
    std::sort(key_lines.begin(), key_lines.end());
    for (auto& [k, v] : top) {
      if (k == "listen") {
        if (auto s = w.str(v, k)) {
          if (is_listen(*s)) c.listen = *s;
          else w.error(v, k, "must be host:port, [v6]:port or :port (port 1..65535)");
        }
      } else if (k == "db" || k == "modules") {
        if (auto s = w.str(v, k)) (k == "db" ? c.db : c.modules) = *s;
      } else if (k == "user") {
        if (auto s = w.str(v, k)) {
          if (printable(*s, false) && s->find_first_of(":/") == std::string::npos && s->size() <= 64) c.user = *s;
          else w.error(v, k, "must be a user name or uid");
        }
      } else if (k == "targets") {
        auto items = w.items(v, k);
        c.targets.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
          auto p = idx("targets", i);
          RawTarget r = parse_target(w, items[i], p);
          if (!items[i].IsMap()) continue;
          r.t.path = items[i]["path"].IsDefined() ? parse_path_settings(w, items[i]["path"], at(p, "path"), c.default_path)
                                                  : c.default_path;
          check_target_fields(w, r, p);
          resolve_timing(&w, r.t, c, r.interval, r.timeout, r.packets, p);
          r.t.body_size_limit = r.body_size_limit.value_or(c.default_body_size_limit.value_or(kBodySizeLimit));
          c.targets.push_back(std::move(r.t));
        }
      } else if (k == "alerts") {
        auto items = w.items(v, k);
        for (std::size_t i = 0; i < items.size(); ++i) c.alerts.push_back(parse_alert(w, items[i], idx("alerts", i)));
      } else if (k == "notifiers") {
        c.notifiers = words::parse_notifiers(w, v, k);
      } else if (k == "history") {
        parse_history(w, v, c.history);
      } else if (k == "peers") {
        parse_peers(w, v, c.peers);
      } else if (k == "usage" || k == "guard" || k == "relay") {
        int line = 0;
        for (const auto& kv : root->entries())
          if (kv.first.Scalar() == k) line = yaml::line_of(kv.first);
        auto next = std::upper_bound(key_lines.begin(), key_lines.end(), line);
        (k == "usage" ? c.usage : k == "guard" ? c.guard : c.relay) =
            section_text(text, line, next == key_lines.end() ? 0 : *next);
      }
    }
    cross_check(w, c);
  } catch (const std::exception& e) {  // yaml-cpp's, or bad_alloc: never past this layer
    w.error(0, "", fmt::format("cannot read: {}", e.what()));
  }
  if (!w.ok()) return tl::unexpected(w.take_errors());
  return c;
}

ConfigResult<WatchConfig> apply_overrides(WatchConfig c, const WatchOverrides& f) {
  Walker w(c.source);
  if (f.listen) {
    if (is_listen(*f.listen)) c.listen = f.listen;
    else w.error(0, "--listen", "must be host:port, [v6]:port or :port (port 1..65535)");
  }
  if (f.db) c.db = f.db;
  if (f.modules) c.modules = f.modules;
  if (f.user) c.user = f.user;
  if (f.interval) {
    if (*f.interval < kMinInterval || *f.interval > kMaxInterval) w.error(0, "--interval", "must be from 10ms to 1d");
    else c.default_interval = *f.interval;
  }
  if (f.timeout) {
    if (*f.timeout < kNsPerMs || *f.timeout > kMaxInterval) w.error(0, "--timeout", "must be from 1ms to 1d");
    else c.default_timeout = *f.timeout;
  }
  if (f.packets) {
    if (*f.packets < 1 || *f.packets > 1000) w.error(0, "--packets", "must be from 1 to 1000");
    else c.default_packets = *f.packets;
  }
  if (!w.ok()) return tl::unexpected(w.take_errors());
  if (c.default_timeout && *c.default_timeout > c.default_interval)
    w.error(0, f.timeout ? "--timeout" : "--interval", "the timeout is longer than the interval");
  for (std::size_t i = 0; i < c.targets.size(); ++i) {
    auto& t = c.targets[i];
    auto own = [](bool is_own, auto v) { return is_own ? std::optional(v) : std::nullopt; };
    resolve_timing(&w, t, c, own(t.own_interval, t.interval), own(t.own_timeout, t.timeout),
                   own(t.own_packets, t.packets), idx("targets", i));
  }
  if (!w.ok()) return tl::unexpected(w.take_errors());
  return c;
}

namespace {

bool same_probe(const WatchTarget& a, const WatchTarget& b) {
  return a.probe == b.probe && a.module == b.module && a.host == b.host && a.port == b.port && a.url == b.url &&
         a.packets == b.packets && a.dns.server == b.dns.server && a.dns.name == b.dns.name && a.dns.type == b.dns.type &&
         a.snmp == b.snmp && a.zones == b.zones && a.dns_server == b.dns_server;
}

bool same_verdict(const WatchTarget& a, const WatchTarget& b) {
  return a.expect_status_text == b.expect_status_text && a.body == b.body && a.body_regex == b.body_regex &&
         a.cert_days == b.cert_days && a.body_size_limit == b.body_size_limit;
}

bool same_alert(const AlertRule& a, const AlertRule& b) {
  auto once = [](const MaintenanceOnce& m) { return std::pair(m.from, m.to); };
  auto weekly = [](const MaintenanceWeekly& m) { return std::tuple(m.days, m.from_minute, m.to_minute, m.tz); };
  if (a.maintenance.size() != b.maintenance.size() || a.weekly.size() != b.weekly.size()) return false;
  for (std::size_t i = 0; i < a.maintenance.size(); ++i)
    if (once(a.maintenance[i]) != once(b.maintenance[i])) return false;
  for (std::size_t i = 0; i < a.weekly.size(); ++i)
    if (weekly(a.weekly[i]) != weekly(b.weekly[i])) return false;
  return a.name == b.name && a.failures == b.failures && a.successes == b.successes &&
         a.flap.enabled == b.flap.enabled && a.flap.window == b.flap.window && a.flap.low == b.flap.low &&
         a.flap.high == b.flap.high && a.reminder == b.reminder && a.quorum == b.quorum && a.notify == b.notify &&
         a.targets == b.targets;
}

bool same_notifier(const Notifier& a, const Notifier& b) {
  if (a.name != b.name || a.kind.index() != b.kind.index()) return false;
  if (auto* x = std::get_if<WebhookNotifier>(&a.kind)) {
    auto& y = std::get<WebhookNotifier>(b.kind);
    return x->url == y.url && x->timeout == y.timeout && x->headers == y.headers;
  }
  if (auto* x = std::get_if<EmailNotifier>(&a.kind)) {
    auto& y = std::get<EmailNotifier>(b.kind);
    return x->smtp == y.smtp && x->from == y.from && x->to == y.to && x->username == y.username &&
           x->password_file == y.password_file && x->starttls == y.starttls && x->timeout == y.timeout;
  }
  if (auto* x = std::get_if<SyslogNotifier>(&a.kind)) {
    auto& y = std::get<SyslogNotifier>(b.kind);
    return x->transport == y.transport && x->host == y.host && x->port == y.port && x->facility == y.facility &&
           x->app_name == y.app_name;
  }
  auto& x = std::get<ExecNotifier>(a.kind);
  auto& y = std::get<ExecNotifier>(b.kind);
  return x.argv == y.argv && x.timeout == y.timeout;
}

template <class T, class Eq>
bool same_list(const std::vector<T>& a, const std::vector<T>& b, Eq eq) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!eq(a[i], b[i])) return false;
  return true;
}

}  // namespace

ConfigDiff diff(const WatchConfig& before, const WatchConfig& after) {
  ConfigDiff d;
  // Both indexes are sorted by name: one merge walk.
  std::size_t i = 0, j = 0;
  const auto& bi = before.by_name;
  const auto& ai = after.by_name;
  while (i < bi.size() || j < ai.size()) {
    const WatchTarget* b = i < bi.size() ? &before.targets[bi[i]] : nullptr;
    const WatchTarget* a = j < ai.size() ? &after.targets[ai[j]] : nullptr;
    if (b && (!a || b->name < a->name)) {
      d.removed.push_back(b->name);
      ++i;
    } else if (a && (!b || a->name < b->name)) {
      d.added.push_back(a->name);
      ++j;
    } else {
      TargetChange ch{a->name, !same_probe(*a, *b), a->interval != b->interval || a->timeout != b->timeout,
                      !same_verdict(*a, *b), a->labels != b->labels, !(a->path == b->path)};
      if (ch.probe || ch.schedule || ch.verdict || ch.labels || ch.path) d.changed.push_back(std::move(ch));
      else d.unchanged.push_back(a->name);
      ++i;
      ++j;
    }
  }
  d.alerts_changed = !same_list(before.alerts, after.alerts, same_alert);
  d.notifiers_changed = !same_list(before.notifiers, after.notifiers, same_notifier);
  d.history_changed = before.history.raw != after.history.raw || before.history.minute != after.history.minute ||
                      before.history.hour != after.history.hour;
  d.peers_changed = !(before.peers == after.peers);
  d.listen_changed = before.listen != after.listen;
  d.db_changed = before.db != after.db;
  d.modules_changed = before.modules != after.modules;
  d.user_changed = before.user != after.user;
  return d;
}

}  // namespace reach::config
