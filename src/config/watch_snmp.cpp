#include "config/watch_snmp.hpp"

#include <charconv>

#include "config/config_words.hpp"
#include "config/snmp_keys.hpp"
#include "config/watch_snmp_parse.hpp"

namespace reach::config {

namespace {
constexpr std::size_t kMaxOids = 64;
constexpr std::size_t kMaxSubIds = 128;
}  // namespace

std::optional<std::vector<std::uint32_t>> parse_numeric_oid(std::string_view s) {
  if (!s.empty() && s.front() == '.') s.remove_prefix(1);
  std::vector<std::uint32_t> out;
  while (!s.empty()) {
    std::uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end == s.data()) return std::nullopt;
    out.push_back(v);
    s.remove_prefix(static_cast<std::size_t>(end - s.data()));
    if (s.empty()) break;
    if (s.front() != '.' || s.size() == 1) return std::nullopt;
    s.remove_prefix(1);
  }
  if (out.size() < 2 || out.size() > kMaxSubIds || out[0] > 2) return std::nullopt;
  return out;
}

bool is_symbolic_oid(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  const auto colons = s.find("::");
  if (colons != std::string_view::npos && (colons == 0 || s.find("::", colons + 2) != std::string_view::npos))
    return false;
  bool letter = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || (c == ':' && colons != std::string_view::npos && (i == colons || i == colons + 1));
    if (!ok) return false;
    letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  return letter && s.back() != '.' && s.back() != ':';
}

void parse_watch_snmp_session(yaml::Walker& w, const yaml::Node& n, const std::string& path, SnmpSource& q) {
  q.retries = 0;
  for (auto& [k, v] : w.entries(n, path, {"version", "community", "user", "auth_protocol", "auth_password",
                                          "priv_protocol", "priv_password", "retries"})) {
    auto pk = words::at(path, k);
    if (k == "retries") {
      if (auto x = w.integer(v, pk, 0, 5)) q.retries = static_cast<int>(*x);
    } else {
      snmp_session_key(w, k, v, pk, q);
    }
  }
  check_snmp_session(w, n, path, q);
  // io::SnmpSession opens v3 with authentication only (noAuthNoPriv would fail every round).
  if (q.version == 3 && n.IsMap() && !n["auth_protocol"].IsDefined() && !n["auth_password"].IsDefined())
    w.error(n, path, "version 3 needs auth_protocol and auth_password (noAuthNoPriv is not supported)");
}

namespace {

void oid_text(yaml::Walker& w, const yaml::Node& v, const std::string& p, SnmpOidSpec& o) {
  auto s = w.str(v, p);
  if (!s) return;
  if (auto num = parse_numeric_oid(*s)) {
    o.numeric = std::move(*num);
    o.text = *s;
  } else if (!s->empty() && ((*s)[0] == '.' || ((*s)[0] >= '0' && (*s)[0] <= '9'))) {
    w.error(v, p, "\"" + *s + "\" is not a numeric OID (1.3.6.1..., 2..128 numbers below 2^32, the first 0, 1 or 2)");
  } else if (is_symbolic_oid(*s)) {
    o.text = *s;
  } else {
    w.error(v, p, "must be a numeric OID (1.3.6.1.2.1.1.3.0) or a MIB name (SNMPv2-MIB::sysUpTime.0)");
  }
}

}  // namespace

void parse_watch_snmp_oids(yaml::Walker& w, const yaml::Node& n, const std::string& path,
                           std::vector<SnmpOidSpec>& out) {
  std::size_t i = 0;
  for (const auto& item : w.items(n, path)) {
    const std::string p = words::idx(path, i++);
    SnmpOidSpec o;
    o.line = yaml::line_of(item);
    if (item.IsScalar()) {
      oid_text(w, item, p, o);
    } else {
      for (auto& [k, v] : w.entries(item, p, {"oid", "name", "rate", "min", "max"})) {
        auto pk = words::at(p, k);
        if (k == "oid") {
          oid_text(w, v, pk, o);
        } else if (k == "name") {
          if (auto s = w.str(v, pk)) {
            if (s->size() <= 128 && words::printable(*s, false)) o.name = *s;
            else w.error(v, pk, "must be 1..128 printable characters without spaces");
          }
        } else if (k == "rate") {
          if (auto b = w.boolean(v, pk)) o.rate = *b;
        } else {
          if (auto x = w.number(v, pk, -1.8e19, 1.8e19)) (k == "min" ? o.min : o.max) = *x;
        }
      }
      if (item.IsMap() && !item["oid"].IsDefined()) w.error(item, words::at(p, "oid"), "is required");
      if (o.min && o.max && *o.min > *o.max) w.error(item, p, "min is above max");
    }
    if (o.text.empty()) continue;
    if (o.name.empty()) o.name = o.text;
    for (const auto& prev : out)
      if (prev.name == o.name) w.error(item, p, "another OID of this target has the name \"" + o.name + "\" (give name:)");
    out.push_back(std::move(o));
  }
  if (i == 0 && (n.IsSequence() || n.IsNull())) w.error(n, path, "needs at least one OID");
  if (i > kMaxOids) w.error(n, path, "at most 64 OIDs per target (one GET)");
}

}  // namespace reach::config
