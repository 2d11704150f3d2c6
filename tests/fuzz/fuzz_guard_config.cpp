// The `guard:` section on arbitrary bytes, then its user rules through RE2: never a crash or an
// exception; what parses holds the invariants the daemon relies on, and its rules compile or
// come back as errors naming a line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/guard_config.hpp"
#include "engine/guard_decide.hpp"
#include "engine/guard_rules.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // yaml-cpp is slow on huge inputs; depth is bounded by it
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = reach::config::parse_guard_config(text, "fuzz.yml", reach::engine::guard_pattern_error);
  if (!c) {
    check(!c.error().items.empty());
    return 0;
  }
  check(!c->sources.empty());
  for (const auto& s : c->sources) {
    check(!s.rules.empty());
    check(s.kind == reach::config::GuardSource::Kind::file ? !s.path.empty() && s.path[0] == '/' : !s.unit.empty());
    for (const auto& r : s.rules) check(r == "sshd" || c->find_rule(r));
  }
  check(c->threshold.failures >= 1 && c->threshold.failures <= 100);
  check(c->ban.time > 0 && c->ban.max_time >= c->ban.time && c->ban.factor >= 1);
  check(c->ban.ipv6_escalate_after == 0 || c->ban.ipv6_escalate_prefix < c->ban.ipv6_prefix);
  check(c->allow.size() == c->allow_lines.size());
  check(c->max_line >= 256 && c->max_line <= (1u << 20));
  // Country rules: two upper-case letters each, never in both lists; geo_db paths absolute.
  for (const auto* l : {&c->countries.ban, &c->countries.allow})
    for (const auto& cc : *l) check(cc.size() == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z');
  for (const auto& cc : c->countries.ban)
    for (const auto& a : c->countries.allow) check(cc != a);
  for (const auto& f : c->countries.db) check(!f.empty() && f[0] == '/');
  for (const auto& r : c->rules) check(!r.patterns.empty() && r.patterns.size() == r.pattern_lines.size());
  auto rules = reach::engine::GuardRules::build(*c);
  if (!rules) {
    for (const auto& e : rules.error().items) check(!e.path.empty());
    return 0;
  }
  for (const char* line : {"Invalid user x from 198.18.0.5 port 1", "Nov 30 21:00:01 h app[1]: fail from 198.18.0.9",
                           "fail from 2001:db8::1 (x)"})
    if (auto m = rules->match(line)) check(m->weight >= 0 && m->weight <= 100);
  reach::engine::GuardDecider d(reach::engine::guard_policy(*c));
  reach::model::GuardMatch m;
  m.addr = *reach::IpAddr::parse("203.0.113.5");
  for (int i = 0; i < 200; ++i) d.record(m, i * reach::kNsPerSec);
  for (const auto& b : d.take_bans()) check(b.duration > 0 && b.duration <= c->ban.max_time);
  return 0;
}
