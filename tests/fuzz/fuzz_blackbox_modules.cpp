// blackbox_exporter modules files on arbitrary bytes: never a crash or an exception; every
// module that loads as unsupported says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/blackbox_modules.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = reach::config::parse_blackbox_modules(text, "fuzz.yml");
  if (!m) {
    check(!m.error().items.empty());
    return 0;
  }
  for (const auto& mod : m->modules) {
    check(mod.supported || !mod.unsupported_reason.empty());
    check(m->find(mod.name) != nullptr);
    check(reach::config::effective_timeout(mod, 10.0) >= 0);
  }
  auto all = reach::config::with_builtins(*m);
  check(all.find("icmp") != nullptr);
  return 0;
}
