// The `guard:` section of the YAML file (guard_config.hpp; every key in docs/GUARD-RULES.md).
#include "config/guard_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "config/config_words.hpp"
#include "config/guard_countries.hpp"
#include "config/values.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config {

const GuardRuleDef* GuardConfig::find_rule(std::string_view name) const {
  for (const auto& r : rules)
    if (r.name == name) return &r;
  return nullptr;
}

const std::vector<std::string>& builtin_guard_rules() {
  static const std::vector<std::string> names{"sshd", "relay"};
  return names;
}

namespace {

using words::at;
using words::idx;
using words::is_name;
using words::printable;
using yaml::Walker;

constexpr TimeNs kDay = 86400 * kNsPerSec;
constexpr std::size_t kMaxPattern = 4096;

bool is_builtin(std::string_view name) {
  const auto& b = builtin_guard_rules();
  return std::find(b.begin(), b.end(), name) != b.end();
}

// systemd unit names: "ssh.service", "sshd@1.service", "nginx".
bool is_unit(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-' || c == '@' || c == '\\';
  });
}

// A rule named by a source, checked once every rule is known (the source may come first).
struct RuleRef {
  std::string name, path;
  int line = 0;
};

// What the pieces of guard: tell each other while the file is read.
struct Ctx {
  Walker& w;
  const GuardPatternCheck& check;
  std::vector<RuleRef> refs;       // every rule a source names, valid source or not
  std::vector<std::string> named;  // every key of guard.rules, valid rule or not
  bool sources_given = false;
};

std::vector<std::string> rule_list(Ctx& cx, const yaml::Node& n, const std::string& p) {
  Walker& w = cx.w;
  auto list = w.str_list(n, p, true);
  if (!list) return {};
  const std::vector<yaml::Node> items = n.IsSequence() ? n.items() : std::vector<yaml::Node>{};
  for (std::size_t i = 0; i < list->size(); ++i) {
    const int line = yaml::line_of(i < items.size() ? items[i] : n);
    if (!is_name((*list)[i])) w.error(line, idx(p, i), "must be a rule name (sshd, or a key of guard.rules)");
    else cx.refs.push_back({(*list)[i], n.IsSequence() ? idx(p, i) : p, line});
  }
  if (list->empty()) w.error(n, p, "must name at least one rule ([sshd])");
  return *list;
}

void parse_source(Ctx& cx, const yaml::Node& n, const std::string& p, GuardConfig& c) {
  Walker& w = cx.w;
  if (!n.IsMap()) {
    w.error(n, p, "must be a map ({file: /var/log/auth.log, rules: [sshd]} or {journal: ssh.service, rules: [sshd]})");
    return;
  }
  GuardSource s;
  s.line = yaml::line_of(n);
  s.rules = {"sshd"};
  bool good = true;
  for (auto& [k, v] : w.entries(n, p, {"file", "journal", "rules"})) {
    auto pk = at(p, k);
    if (k == "rules") {
      s.rules = rule_list(cx, v, pk);
      continue;
    }
    auto text = w.str(v, pk);
    if (!text) {
      good = false;
    } else if (k == "file") {
      s.kind = GuardSource::Kind::file;
      if (text->size() <= 4096 && (*text)[0] == '/' && printable(*text, true)) {
        s.path = *text;
      } else {
        w.error(v, pk, "must be an absolute path (/var/log/auth.log)");
        good = false;
      }
    } else {
      s.kind = GuardSource::Kind::journal;
      if (is_unit(*text)) {
        s.unit = *text;
      } else {
        w.error(v, pk, "must be a systemd unit name (ssh.service)");
        good = false;
      }
    }
  }
  const bool file = n["file"].IsDefined(), journal = n["journal"].IsDefined();
  if (file == journal) {
    w.error(n, p, file ? "has both file and journal: one source each" : "needs file: PATH or journal: UNIT");
    return;
  }
  if (good && !s.rules.empty()) c.sources.push_back(std::move(s));
}

void parse_threshold(Walker& w, const yaml::Node& n, const std::string& p, GuardThreshold& t) {
  for (auto& [k, v] : w.entries(n, p, {"failures", "window", "max_sources"})) {
    auto pk = at(p, k);
    if (k == "failures") {
      if (auto x = w.integer(v, pk, 1, 100)) t.failures = static_cast<int>(*x);
    } else if (k == "window") {
      if (auto d = w.duration(v, pk, kNsPerSec, 7 * kDay)) t.window = *d;
    } else if (auto x = w.integer(v, pk, 1000, 10000000)) {
      t.max_sources = static_cast<std::size_t>(*x);
    }
  }
}

void parse_ban(Walker& w, const yaml::Node& n, const std::string& p, GuardBanPolicy& b) {
  bool max_given = false;
  for (auto& [k, v] : w.entries(n, p, {"time", "max_time", "factor", "forget", "ipv4_prefix", "ipv6_prefix",
                                       "ipv6_escalate"})) {
    auto pk = at(p, k);
    if (k == "time") {
      if (auto d = w.duration(v, pk, kNsPerSec, 365 * kDay)) b.time = *d;
    } else if (k == "max_time") {
      if (auto d = w.duration(v, pk, kNsPerSec, 3650 * kDay)) {
        b.max_time = *d;
        max_given = true;
      }
    } else if (k == "factor") {
      if (auto x = w.number(v, pk, 1, 100)) b.factor = *x;
    } else if (k == "forget") {
      if (auto d = w.duration(v, pk, 0, 3650 * kDay)) b.forget = *d;
    } else if (k == "ipv4_prefix") {
      if (auto x = w.integer(v, pk, 8, 32)) b.ipv4_prefix = static_cast<int>(*x);
    } else if (k == "ipv6_prefix") {
      if (auto x = w.integer(v, pk, 16, 64)) b.ipv6_prefix = static_cast<int>(*x);
    } else {
      for (auto& [ek, ev] : w.entries(v, pk, {"prefix", "after"})) {
        if (ek == "prefix") {
          if (auto x = w.integer(ev, at(pk, ek), 16, 63)) b.ipv6_escalate_prefix = static_cast<int>(*x);
        } else if (auto x = w.integer(ev, at(pk, ek), 0, 1000)) {
          b.ipv6_escalate_after = static_cast<int>(*x);
        }
      }
    }
  }
  if (!n.IsMap()) return;
  if (!max_given && b.max_time < b.time) b.max_time = b.time;
  if (b.max_time < b.time)
    w.error(n["max_time"], at(p, "max_time"), "must not be shorter than ban.time");
  if (b.ipv6_escalate_after > 0 && b.ipv6_escalate_prefix >= b.ipv6_prefix)
    w.error(n["ipv6_escalate"].IsDefined() ? n["ipv6_escalate"] : n, at(p, "ipv6_escalate.prefix"),
            fmt::format("must be shorter than ipv6_prefix ({}): the escalation bans a wider prefix", b.ipv6_prefix));
}

void parse_allow(Walker& w, const yaml::Node& n, const std::string& p, GuardConfig& c) {
  std::size_t i = 0;
  for (const auto& item : w.items(n, p)) {
    auto pi = idx(p, i++);
    auto text = w.str(item, pi);
    if (!text) continue;
    auto prefix = text->size() <= 64 ? parse_prefix(*text) : std::nullopt;
    if (!prefix) {
      // Host bits set names the prefix meant (base/ip_prefix, as every prefix of reach's).
      w.error(item, pi, text->size() <= 64 ? prefix_error(*text) : "must be an address or a prefix (198.18.0.0/24, 2001:db8::/48)");
      continue;
    }
    c.allow.push_back(*prefix);
    c.allow_lines.push_back(yaml::line_of(item));
  }
}

// Patterns (one or a list) with the line of each.
void patterns(Ctx& cx, const yaml::Node& n, const std::string& p, bool need_host, std::vector<std::string>& out,
              std::vector<int>& lines) {
  Walker& w = cx.w;
  std::vector<yaml::Node> nodes;
  if (n.IsScalar()) nodes.push_back(n);
  else nodes = w.items(n, p);
  if (need_host && nodes.empty() && (n.IsNull() || n.IsSequence())) w.error(n, p, "needs at least one pattern with <HOST>");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto pi = n.IsScalar() ? p : idx(p, i);
    auto text = w.str(nodes[i], pi);
    if (!text) continue;
    if (text->size() > kMaxPattern) {
      w.error(nodes[i], pi, fmt::format("is longer than {} characters", kMaxPattern));
    } else if (need_host && text->find("<HOST>") == std::string::npos && text->find("(?P<host>") == std::string::npos) {
      w.error(nodes[i], pi, "no host field (<HOST> or (?P<host>...))");
    } else if (std::string why = cx.check ? cx.check(*text, need_host) : std::string(); !why.empty()) {
      w.error(nodes[i], pi, why);
    } else {
      out.push_back(*text);
      lines.push_back(yaml::line_of(nodes[i]));
    }
  }
}

void parse_rules(Ctx& cx, const yaml::Node& n, const std::string& p, GuardConfig& c) {
  Walker& w = cx.w;
  for (auto& [name, v] : w.entries(n, p, {})) {
    auto pr = at(p, name);
    cx.named.push_back(name);  // defined, if wrongly: a source naming it gets no second error
    GuardRuleDef r;
    r.name = name;
    r.line = yaml::line_of(v);
    if (!is_name(name)) {
      w.error(v, pr, "the rule's name must be 1..128 of the characters A-Z a-z 0-9 _ . : -");
      continue;
    }
    if (is_builtin(name)) {
      w.error(v, pr, fmt::format("'{}' is a built-in rule: give yours another name", name));
      continue;
    }
    if (!v.IsMap()) {
      w.error(v, pr, "must be a map ({patterns: [...]})");
      continue;
    }
    for (auto& [k, rv] : w.entries(v, pr, {"patterns", "ignore", "program", "weight"})) {
      auto pk = at(pr, k);
      if (k == "patterns") {
        patterns(cx, rv, pk, true, r.patterns, r.pattern_lines);
      } else if (k == "ignore") {
        patterns(cx, rv, pk, false, r.ignore, r.ignore_lines);
      } else if (k == "program") {
        if (auto l = w.str_list(rv, pk, true)) {
          for (const auto& prog : *l)
            if (prog.size() > 64 || !printable(prog, false)) w.error(rv, pk, "must be syslog tags (sshd, nginx)");
          r.programs = *l;
        }
      } else if (auto x = w.integer(rv, pk, 0, 100)) {
        r.weight = static_cast<int>(*x);
      }
    }
    if (!v["patterns"].IsDefined()) w.error(v, at(pr, "patterns"), "is required (patterns with <HOST>)");
    else if (!r.patterns.empty()) c.rules.push_back(std::move(r));
  }
}

void cross_check(Ctx& cx, GuardConfig& c, int guard_line) {
  Walker& w = cx.w;
  // Sources given but each wrong have their own errors already.
  if (!cx.sources_given) w.error(guard_line, "guard.sources", "needs at least one source ({file: ..., rules: [sshd]})");
  for (const RuleRef& r : cx.refs)
    if (!is_builtin(r.name) && std::find(cx.named.begin(), cx.named.end(), r.name) == cx.named.end())
      w.error(r.line, r.path, fmt::format("no rule '{}' (built-in: sshd, relay; or define it under guard.rules)", r.name));
  std::map<std::string, int> seen;
  for (const auto& s : c.sources) {
    auto key = s.kind == GuardSource::Kind::file ? "file " + s.path : "journal " + s.unit;
    if (!seen.emplace(key, s.line).second)
      w.error(s.line, "guard.sources", fmt::format("{} is read twice (also at line {})", key, seen[key]));
  }
  for (std::size_t j = 0; j < c.notify.size(); ++j) {
    const auto& name = c.notify[j];
    bool found = std::any_of(c.notifiers.begin(), c.notifiers.end(), [&](const Notifier& n) { return n.name == name; });
    if (!found) w.error(guard_line, idx("guard.notify", j), fmt::format("no notifier '{}' under notifiers:", name));
  }
}

}  // namespace

ConfigResult<GuardConfig> parse_guard_config(std::string_view text, const std::string& source,
                                             const GuardPatternCheck& check) {
  Walker w(source);
  Ctx cx{w, check, {}, {}, false};
  GuardConfig c;
  c.source = source;
  try {
    auto doc = yaml::load(text, w);
    if (!doc) return tl::unexpected(w.take_errors());
    const yaml::Node root = doc->root();
    auto sections = yaml::file_sections(root, w, "db:, guard:, notifiers:, ...");
    if (!sections) return tl::unexpected(w.take_errors());
    auto& top = *sections;
    bool has_guard = false;
    int guard_line = 0;
    for (const auto& kv : root.entries())
      if (kv.first.Scalar() == "guard") guard_line = yaml::line_of(kv.first);
    for (auto& [k, v] : top) {
      if (k == "db") {
        if (auto s = w.str(v, k)) c.db = *s;
      } else if (k == "notifiers") {
        c.notifiers = words::parse_notifiers(w, v, k);
      } else if (k == "guard") {
        has_guard = true;
        for (auto& [gk, gv] : w.entries(v, k, {"sources", "threshold", "ban", "allow", "allow_ssh_client", "state",
                                               "rules", "notify", "max_line", "countries", "geo_db", "nft_idle"})) {
          auto p = at(k, gk);
          if (gk == "sources") {
            std::size_t i = 0;
            for (const auto& item : w.items(gv, p)) {
              cx.sources_given = true;
              parse_source(cx, item, idx(p, i++), c);
            }
          } else if (gk == "threshold") {
            parse_threshold(w, gv, p, c.threshold);
          } else if (gk == "ban") {
            parse_ban(w, gv, p, c.ban);
          } else if (gk == "allow") {
            parse_allow(w, gv, p, c);
          } else if (gk == "allow_ssh_client") {
            if (auto b = w.boolean(gv, p)) c.allow_ssh_client = *b;
          } else if (gk == "state") {
            auto s = w.str(gv, p);
            if (s && (*s)[0] == '/' && s->size() <= 4096 && printable(*s, true)) c.state = *s;
            else if (s) w.error(gv, p, "must be an absolute path");
          } else if (gk == "rules") {
            parse_rules(cx, gv, p, c);
          } else if (gk == "countries") {
            guard_detail::parse_countries(w, gv, p, c.countries);
          } else if (gk == "geo_db") {
            guard_detail::parse_geo_db(w, gv, p, c.countries);
          } else if (gk == "notify") {
            if (auto l = w.str_list(gv, p, true)) c.notify = *l;
          } else if (gk == "nft_idle") {
            if (auto d = w.duration(gv, p, 0, 86400 * kNsPerSec)) c.nft_idle = *d;
          } else {
            auto s = w.str(gv, p);
            auto bytes = s ? parse_byte_size(*s) : Result<std::uint64_t>(0);
            if (s && (!bytes || *bytes < 256 || *bytes > (1u << 20)))
              w.error(gv, p, "must be a size from 256 to 1MiB (8KiB, 4096)");
            else if (s)
              c.max_line = static_cast<std::size_t>(*bytes);
          }
        }
      }
    }
    if (!has_guard) w.error(0, "", "no guard: section");
    else cross_check(cx, c, guard_line);
  } catch (const std::exception& e) {  // yaml-cpp's, or bad_alloc: never past this layer
    w.error(0, "", fmt::format("cannot read: {}", e.what()));
  }
  if (!w.ok()) return tl::unexpected(w.take_errors());
  return c;
}

}  // namespace reach::config
