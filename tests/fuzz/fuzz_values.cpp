// Durations, byte sizes and RFC 3339 times on arbitrary bytes: no crash, and what parses
// prints back to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/time.hpp"
#include "config/values.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = reach::config::parse_duration(text)) {
    check(*d >= 0);
    auto again = reach::config::parse_duration(reach::config::format_duration(*d));
    // format_duration may use us/ns, which the Prometheus grammar lacks; whole ms must match.
    if (*d % reach::kNsPerMs == 0) check(again && *again == *d);
  }
  if (auto b = reach::config::parse_byte_size(text)) check(*b == *reach::config::parse_byte_size(text));
  (void)reach::config::parse_rfc3339(text);
  return 0;
}
