// Policy files (TOML) and the small values of the command line, on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/policy.hpp"
#include "config/values.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto p = reach::config::parse_policy(text, "fuzz")) {
    if (p->flows.empty()) __builtin_trap();
    for (const auto& f : p->flows)
      if (f.to.port == 0 || f.name.empty()) __builtin_trap();
  }
  (void)reach::config::parse_status_set(text);
  (void)reach::config::parse_threshold(text);
  (void)reach::config::parse_cert_time(text);
  return 0;
}
