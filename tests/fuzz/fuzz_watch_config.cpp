// The watch YAML file on arbitrary bytes: never a crash or an exception; what parses holds the
// invariants the engine relies on, and survives a diff with itself and an override.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/watch_config.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // yaml-cpp is slow on huge inputs; depth is bounded by it
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = reach::config::parse_watch_config(text, "fuzz.yml");
  if (!c) {
    check(!c.error().items.empty());
    return 0;
  }
  for (const auto& t : c->targets) {
    check(!t.name.empty());
    check(t.interval > 0 && t.timeout > 0 && t.timeout <= t.interval);
    check(t.packets >= 1 && t.packets <= 1000);
    check(c->find_target(t.name) != nullptr);
    if (t.probe == reach::model::WatchProbe::snmp && t.module.empty()) {
      check(!t.snmp.oids.empty() && t.snmp.oids.size() <= 64 && !t.host.empty());
      for (const auto& o : t.snmp.oids) {
        check(!o.name.empty() && !o.text.empty());
        check(o.numeric.empty() ? reach::config::is_symbolic_oid(o.text)
                                : reach::config::parse_numeric_oid(o.text) == o.numeric);
        check(!o.min || !o.max || *o.min <= *o.max);
      }
    }
  }
  for (const auto& a : c->alerts) {
    check(a.failures >= 1 && a.successes >= 1);
    for (const auto& n : a.notify) check(c->find_notifier(n) != nullptr);
    (void)a.applies_to("x");
  }
  auto d = reach::config::diff(*c, *c);
  check(d.added.empty() && d.removed.empty() && d.changed.empty());
  check(d.unchanged.size() == c->targets.size());
  reach::config::WatchOverrides f;
  f.interval = 2 * reach::kNsPerSec;
  (void)reach::config::apply_overrides(*c, f);
  return 0;
}
