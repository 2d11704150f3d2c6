// The `usage:` section of the YAML file (usage_config.hpp; every key in docs/USAGE.md).
#include "config/usage_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>

#include "config/config_words.hpp"
#include "config/snmp_keys.hpp"
#include "config/values.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

const UsagePlan* UsageConfig::find_plan(std::string_view name) const {
  for (const auto& p : plans)
    if (p.name == name) return &p;
  return nullptr;
}

const char* usage_count_word(UsageCount c) {
  switch (c) {
    case UsageCount::rx: return "rx";
    case UsageCount::tx: return "tx";
    default: return "both";
  }
}

Words split_command(std::string_view s) {
  Words out;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      auto end = s.find('\'', i + 1);
      if (end == s.npos) return {{}, "a ' is not closed"};
      word.append(s.substr(i + 1, end - i - 1));
      i = end;
      in_word = true;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != '"'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size() && std::string_view("\"\\$`").find(s[j + 1]) != s.npos) ++j;
        else if (s[j] == '$' || s[j] == '`') return {{}, "$ and ` inside \"...\" would need a shell; use '...'"};
        word += s[j];
      }
      if (j >= s.size()) return {{}, "a \" is not closed"};
      i = j;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= s.size()) return {{}, "ends with a lone \\"};
      word += s[++i];
      in_word = true;
    } else if (std::string_view("|&;<>()$`").find(c) != s.npos) {
      return {{}, fmt::format("'{}' would need a shell, and none runs the command: quote it, or run a script", c)};
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) out.words.push_back(std::move(word));
  if (out.words.empty()) out.error = "names no command";
  return out;
}

std::optional<double> parse_percent(std::string_view s) {
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v <= 0 || v > 1000)
    return std::nullopt;
  return v;
}

namespace {

using words::at;
using words::idx;
using words::is_name;
using words::printable;
using yaml::Walker;

// Linux interface names: 1..15 bytes, no '/', ':' or blanks, not "." or "..".
bool is_ifname(std::string_view s) {
  return !s.empty() && s.size() <= 15 && s != "." && s != ".." && printable(s, false) &&
         s.find_first_of("/:") == s.npos;
}

// "aa:bb:cc:dd:ee:ff" or with '-', any case; returned lower case with ':'.
std::optional<std::string> mac_of(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < 17; ++i) {
    char c = s[i];
    if (i % 3 == 2) {
      if (c != ':' && c != '-') return std::nullopt;
      out += ':';
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      out += c;
    } else if (c >= 'A' && c <= 'F') {
      out += static_cast<char>(c + 32);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

void interface_id(UsageSource& s) {
  s.id = !s.label.empty() ? "if:label:" + s.label : !s.mac.empty() ? "if:mac:" + s.mac : "if:name:" + s.interface;
}

void parse_interface(Walker& w, const yaml::Node& n, const std::string& p, UsagePlan& plan) {
  UsageSource s;
  s.line = yaml::line_of(n);
  if (n.IsScalar()) {
    if (auto name = w.str(n, p)) {
      if (is_ifname(*name)) s.interface = *name;
      else w.error(n, p, "must be an interface name (1..15 characters, no / : or blanks)");
    }
  } else if (n.IsMap()) {
    for (auto& [k, v] : w.entries(n, p, {"name", "mac", "label"})) {
      auto pk = at(p, k);
      auto text = w.str(v, pk);
      if (!text) continue;
      if (k == "name") {
        if (is_ifname(*text)) s.interface = *text;
        else w.error(v, pk, "must be an interface name (1..15 characters, no / : or blanks)");
      } else if (k == "mac") {
        if (auto m = mac_of(*text)) s.mac = *m;
        else w.error(v, pk, "must be a MAC address like 02:00:5e:10:00:01");
      } else if (k == "label") {
        if (is_name(*text)) s.label = *text;
        else w.error(v, pk, "must be 1..128 of the characters A-Z a-z 0-9 _ . : -");
      }
    }
    if (!n["name"].IsDefined() && !n["mac"].IsDefined())
      w.error(n, p, "needs name or mac (the permanent MAC address) to find the interface");
  } else {
    w.error(n, p, "must be an interface name or {name: ..., mac: ..., label: ...}");
    return;
  }
  if (s.interface.empty() && s.mac.empty()) return;
  interface_id(s);
  plan.sources.push_back(std::move(s));
}

void parse_snmp(Walker& w, const yaml::Node& n, const std::string& p, UsagePlan& plan) {
  UsageSource s;
  s.kind = UsageSource::Kind::snmp;
  s.line = yaml::line_of(n);
  SnmpSource& q = s.snmp;
  if (!n.IsMap()) {
    w.error(n, p, "must be a map {host: ..., community: ..., if: ...}");
    return;
  }
  bool good = true;
  for (auto& [k, v] : w.entries(n, p, {"host", "version", "community", "user", "auth_protocol", "auth_password",
                                       "priv_protocol", "priv_password", "if", "timeout", "retries"})) {
    auto pk = at(p, k);
    if (k == "if") {
      auto text = w.str(v, pk);
      if (!text) {
        good = false;
      } else if (std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (auto x = w.integer(v, pk, 1, 2147483647)) q.if_index = static_cast<int>(*x);
        else good = false;
      } else if (text->size() <= 255 && printable(*text, true)) {
        q.if_name = *text;
      } else {
        w.error(v, pk, "must be an ifIndex (1, 2, ...) or an interface name (ifName or ifDescr)");
        good = false;
      }
    } else if (k == "timeout") {
      if (auto d = w.duration(v, pk, 10 * kNsPerMs, 60 * kNsPerSec)) q.timeout = *d;
    } else if (k == "retries") {
      if (auto x = w.integer(v, pk, 0, 10)) q.retries = static_cast<int>(*x);
    } else if (k == "host") {
      auto text = w.str(v, pk);
      if (!text) continue;
      if (!printable(*text, false)) w.error(v, pk, "must be printable ASCII");
      else if (words::is_host(*text)) q.host = *text;
      else w.error(v, pk, "must be an address or host name, with :port or [v6]:port when not 161");
    } else {
      snmp_session_key(w, k, v, pk, q);
    }
  }
  if (!n["host"].IsDefined()) w.error(n, at(p, "host"), "is required");
  if (!n["if"].IsDefined()) w.error(n, at(p, "if"), "is required (the ifIndex or the interface's name)");
  check_snmp_session(w, n, p, q);
  if (!good || q.host.empty() || (q.if_index == 0 && q.if_name.empty())) return;
  s.id = q.if_index ? fmt::format("snmp:{}:{}", q.host, q.if_index) : fmt::format("snmp:{}:name:{}", q.host, q.if_name);
  plan.sources.push_back(std::move(s));
}

// A command given as "cmd args" (split_command) or as a list [cmd, arg, ...].
std::optional<std::vector<std::string>> command(Walker& w, const yaml::Node& n, const std::string& p) {
  if (n.IsScalar()) {
    auto text = w.str(n, p);
    if (!text) return std::nullopt;
    auto split = split_command(*text);
    if (!split.error.empty()) {
      w.error(n, p, split.error);
      return std::nullopt;
    }
    return split.words;
  }
  auto list = w.str_list(n, p);
  if (list && list->empty()) {
    w.error(n, p, "must name the command to run (\"cmd args\" or [cmd, arg, ...])");
    return std::nullopt;
  }
  return list;
}

void parse_mrtg(Walker& w, const yaml::Node& n, const std::string& p, UsagePlan& plan) {
  auto argv = command(w, n, p);
  if (!argv) return;
  UsageSource s;
  s.kind = UsageSource::Kind::mrtg;
  s.line = yaml::line_of(n);
  s.mrtg_argv = *argv;
  s.id = "mrtg:";
  for (std::size_t i = 0; i < argv->size(); ++i) s.id += (i ? " " : "") + (*argv)[i];
  plan.sources.push_back(std::move(s));
}

void parse_cycle(Walker& w, const yaml::Node& n, const std::string& p, UsageCycle& c) {
  for (auto& [k, v] : w.entries(n, p, {"start_day", "start_hour", "tz", "every_days", "anchor"})) {
    auto pk = at(p, k);
    if (k == "start_day") {
      if (auto x = w.integer(v, pk, 1, 31)) c.start_day = static_cast<int>(*x);
    } else if (k == "start_hour") {
      if (auto x = w.integer(v, pk, 0, 23)) c.start_hour = static_cast<int>(*x);
    } else if (k == "tz") {
      auto s = w.str(v, pk);
      c.tz_line = yaml::line_of(v);
      if (s && words::is_tz(*s)) c.tz = *s;
      else if (s) w.error(v, pk, "must be a time zone name like Europe/Berlin or UTC");
    } else if (k == "every_days") {
      if (auto x = w.integer(v, pk, 1, 3660)) c.every_days = static_cast<int>(*x);
    } else if (k == "anchor") {
      auto s = w.str(v, pk);
      auto t = s ? parse_rfc3339(*s) : std::nullopt;
      if (t) c.anchor = *t;
      else if (s) w.error(v, pk, "must be an RFC 3339 time of one cycle's start (2026-11-15T00:00:00+01:00)");
    }
  }
  if (!n.IsMap()) return;
  if (n["every_days"].IsDefined()) {
    if (n["start_day"].IsDefined() || n["start_hour"].IsDefined())
      w.error(n, p, "every_days cycles start at anchor: start_day and start_hour are for monthly cycles");
    if (!n["anchor"].IsDefined()) w.error(n, at(p, "anchor"), "is required with every_days (the start of one cycle)");
  } else if (n["anchor"].IsDefined()) {
    w.error(n, at(p, "anchor"), "is only for every_days cycles");
  }
}

void parse_thresholds(Walker& w, const yaml::Node& n, const std::string& p, UsagePlan& plan) {
  plan.thresholds.clear();
  std::size_t i = 0;
  for (const auto& item : w.items(n, p)) {
    auto x = w.integer(item, idx(p, i++), 1, 1000);
    if (!x) continue;
    if (!plan.thresholds.empty() && *x <= plan.thresholds.back())
      w.error(item, p, "must be ascending, each percent once ([80, 90, 100])");
    else
      plan.thresholds.push_back(static_cast<int>(*x));
  }
}

void parse_on_cap(Walker& w, const yaml::Node& n, const std::string& p, UsagePlan& plan) {
  bool has_allow = false;
  for (auto& [k, v] : w.entries(n, p, {"exec", "block", "allow"})) {
    if (k == "exec") {
      if (auto argv = command(w, v, at(p, k))) plan.on_cap_exec = *argv;
    } else if (k == "block") {
      if (auto b = w.boolean(v, at(p, k))) plan.on_cap_block = *b;
    } else if (v.IsSequence()) {
      has_allow = true;
      std::size_t i = 0;
      for (const auto& item : w.items(v, at(p, k))) {
        auto s = w.str(item, idx(at(p, k), i));
        std::string why;
        if (auto a = s ? parse_block_allow(*s, why) : std::nullopt) plan.on_cap_allow.push_back(*a);
        else if (s) w.error(item, idx(at(p, k), i), why);
        ++i;
      }
    } else {
      w.error(v, at(p, k), "must be a list ([\"udp/53\", \"tcp/22\", \"198.18.0.0/24\"])");
    }
  }
  if (has_allow && !plan.on_cap_block) w.error(n["allow"], at(p, "allow"), "is only for block: true");
  if (plan.on_cap_block && !has_allow) plan.on_cap_allow = default_block_allow();
}

UsagePlan parse_plan(Walker& w, const yaml::Node& n, const std::string& path) {
  UsagePlan plan;
  plan.line = yaml::line_of(n);
  if (!n.IsMap()) {
    w.error(n, path, "must be a map ({name: ..., interfaces: [...], cap: 30GB, ...})");
    return plan;
  }
  for (auto& [k, v] : w.entries(n, path, {"name", "interfaces", "snmp", "mrtg", "cap", "count", "cycle",
                                          "thresholds", "notify", "on_cap"})) {
    auto p = at(path, k);
    if (k == "name") {
      if (auto s = w.str(v, p)) {
        if (is_name(*s)) plan.name = *s;
        else w.error(v, p, "must be 1..128 of the characters A-Z a-z 0-9 _ . : -");
      }
    } else if (k == "interfaces") {
      if (v.IsScalar()) {
        parse_interface(w, v, p, plan);
        continue;
      }
      std::size_t i = 0;
      for (const auto& item : w.items(v, p)) parse_interface(w, item, idx(p, i++), plan);
    } else if (k == "snmp") {
      if (!v.IsSequence()) {
        parse_snmp(w, v, p, plan);
        continue;
      }
      std::size_t i = 0;
      for (const auto& item : w.items(v, p)) parse_snmp(w, item, idx(p, i++), plan);
    } else if (k == "mrtg") {
      parse_mrtg(w, v, p, plan);
    } else if (k == "cap") {
      auto s = w.str(v, p);
      auto bytes = s ? parse_byte_size(*s) : Result<std::uint64_t>(0);
      if (s && (!bytes || *bytes == 0))
        w.error(v, p, "must be a byte size above 0 like 30GB (GB = 10^9 bytes) or 30GiB (2^30)");
      else if (s)
        plan.cap = *bytes;
    } else if (k == "count") {
      auto s = w.str(v, p);
      if (s && *s == "rx") plan.count = UsageCount::rx;
      else if (s && *s == "tx") plan.count = UsageCount::tx;
      else if (s && *s == "both") plan.count = UsageCount::both;
      else if (s) w.error(v, p, "must be rx (received), tx (sent) or both");
    } else if (k == "cycle") {
      parse_cycle(w, v, p, plan.cycle);
    } else if (k == "thresholds") {
      parse_thresholds(w, v, p, plan);
    } else if (k == "notify") {
      if (auto l = w.str_list(v, p, true)) {
        plan.notify = *l;
        plan.notify_lines.assign(l->size(), yaml::line_of(v));
        if (v.IsSequence()) {
          const auto items = v.items();
          for (std::size_t i = 0; i < items.size() && i < l->size(); ++i) plan.notify_lines[i] = yaml::line_of(items[i]);
        }
      }
    } else if (k == "on_cap") {
      parse_on_cap(w, v, p, plan);
    }
  }
  if (!n["name"].IsDefined()) w.error(n, at(path, "name"), "is required");
  if (!n["cap"].IsDefined()) w.error(n, at(path, "cap"), "is required (30GB, 500GiB, ...)");
  if (!n["interfaces"].IsDefined() && !n["snmp"].IsDefined() && !n["mrtg"].IsDefined())
    w.error(n, path, "needs a source: interfaces, snmp or mrtg");
  if (plan.on_cap_block && std::none_of(plan.sources.begin(), plan.sources.end(), [](const auto& s) {
        return s.kind == UsageSource::Kind::interface && !s.interface.empty();
      }))
    w.error(n["on_cap"], at(at(path, "on_cap"), "block"), "needs an interface of this host named in interfaces: (snmp and mrtg sources cannot be blocked here)");
  for (const auto& s : plan.sources)
    if (plan.on_cap_block && s.kind == UsageSource::Kind::interface && s.interface == "lo")
      w.error(s.line, at(at(path, "on_cap"), "block"), "would block lo: loopback is never blocked");
  std::map<std::string, int> ids;
  for (const auto& s : plan.sources)
    if (!ids.emplace(s.id, s.line).second)
      w.error(s.line, path, fmt::format("{} is counted twice in this plan (also at line {})", s.id, ids[s.id]));
  return plan;
}

void cross_check(Walker& w, UsageConfig& c) {
  // One essential chain for every block: the blocking plans must agree on what stays open.
  const UsagePlan* first_block = nullptr;
  for (const auto& plan : c.plans) {
    if (!plan.on_cap_block) continue;
    if (!first_block) first_block = &plan;
    else if (plan.on_cap_allow != first_block->on_cap_allow)
      w.error(plan.line, at(idx("usage.plans", static_cast<std::size_t>(&plan - c.plans.data())), "on_cap.allow"),
              fmt::format("differs from the allow list of plan '{}' at line {}: every blocking plan has the same one",
                          first_block->name, first_block->line));
  }
  std::map<std::string, int> names;
  for (std::size_t i = 0; i < c.plans.size(); ++i) {
    const auto& plan = c.plans[i];
    auto p = idx("usage.plans", i);
    if (!plan.name.empty() && !names.emplace(plan.name, plan.line).second)
      w.error(plan.line, at(p, "name"),
              fmt::format("'{}' is already the name of the plan at line {}", plan.name, names[plan.name]));
    for (std::size_t j = 0; j < plan.notify.size(); ++j) {
      const auto& name = plan.notify[j];
      bool found = std::any_of(c.notifiers.begin(), c.notifiers.end(), [&](const Notifier& n) { return n.name == name; });
      const int line = j < plan.notify_lines.size() ? plan.notify_lines[j] : plan.line;
      if (!found) w.error(line, idx(at(p, "notify"), j), fmt::format("no notifier '{}' under notifiers:", name));
    }
  }
}

}  // namespace

std::optional<model::BlockAllow> parse_block_allow(std::string_view text, std::string& why) {
  for (std::string_view proto : {"udp/", "tcp/"}) {
    if (!text.starts_with(proto)) continue;
    const std::string_view rest = text.substr(4);
    const auto dash = rest.find('-');
    auto port = [](std::string_view d) -> std::optional<int> {
      int v = 0;
      auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
      if (ec != std::errc{} || end != d.data() + d.size() || v < 1 || v > 65535) return std::nullopt;
      return v;
    };
    auto lo = port(rest.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : port(rest.substr(dash + 1));
    if (!lo || !hi || *hi < *lo) break;
    return model::BlockAllow{model::BlockAllow::Kind::port, std::string(proto.substr(0, 3)), *lo, *hi, {}};
  }
  auto p = text.starts_with("udp/") || text.starts_with("tcp/") ? std::nullopt : parse_prefix(text);
  const auto slash = text.find('/');
  if (!p || slash == std::string_view::npos) {
    // An address before the '/': a prefix meant, whose fault is said (host bits set names the one meant).
    why = !p && slash != std::string_view::npos && IpAddr::parse(text.substr(0, slash))
              ? prefix_error(text)
              : "must be udp/PORT, tcp/PORT, udp/LO-HI (ports 1..65535) or a prefix like 198.18.0.0/24 (host bits zero)";
    return std::nullopt;
  }
  model::BlockAllow a;
  a.kind = model::BlockAllow::Kind::prefix;
  a.prefix = *p;
  return a;
}

std::vector<model::BlockAllow> default_block_allow() {
  std::vector<model::BlockAllow> out;
  std::string why;
  for (const char* t : {"udp/53", "tcp/53", "udp/67-68", "udp/123"}) out.push_back(*parse_block_allow(t, why));
  return out;
}

ConfigResult<UsageConfig> parse_usage_config(std::string_view text, const std::string& source) {
  Walker w(source);
  UsageConfig c;
  c.source = source;
  try {
    auto doc = yaml::load(text, w);
    if (!doc) return tl::unexpected(w.take_errors());
    const yaml::Node root = doc->root();
    auto sections = yaml::file_sections(root, w, "db:, usage:, notifiers:, ...");
    if (!sections) return tl::unexpected(w.take_errors());
    auto& top = *sections;
    bool has_usage = false;
    for (auto& [k, v] : top) {
      if (k == "db") {
        if (auto s = w.str(v, k)) c.db = *s;
      } else if (k == "notifiers") {
        c.notifiers = words::parse_notifiers(w, v, k);
      } else if (k == "usage") {
        has_usage = true;
        for (auto& [uk, uv] : w.entries(v, k, {"poll", "plans"})) {
          if (uk == "poll") {
            if (auto d = w.duration(uv, at(k, uk), 100 * kNsPerMs, 3600 * kNsPerSec)) c.poll = *d;
          } else {
            std::size_t i = 0;
            for (const auto& item : w.items(uv, at(k, uk)))
              c.plans.push_back(parse_plan(w, item, idx("usage.plans", i++)));
          }
        }
        int key_line = 0;
        for (const auto& kv : root.entries())
          if (kv.first.Scalar() == "usage") key_line = yaml::line_of(kv.first);
        if (v.IsNull() || (v.IsMap() && (!v["plans"].IsDefined() || v["plans"].size() == 0)))
          w.error(v.IsNull() ? key_line : yaml::line_of(v["plans"].IsDefined() ? v["plans"] : v), "usage.plans", "needs at least one plan ({name: ..., interfaces: [...], cap: ...})");
      }
    }
    if (!has_usage) w.error(0, "", "no usage: section");
    cross_check(w, c);
  } catch (const std::exception& e) {  // yaml-cpp's, or bad_alloc: never past this layer
    w.error(0, "", fmt::format("cannot read: {}", e.what()));
  }
  if (!w.ok()) return tl::unexpected(w.take_errors());
  return c;
}

}  // namespace reach::config
