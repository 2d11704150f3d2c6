// Listen addresses from config files: any bytes give a value or an error, never a crash, and
// an accepted address prints back to text that parses to the same thing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "io/listen_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto a = reach::io::parse_listen_address(text, true);
  if (!a) return 0;
  auto again = reach::io::parse_listen_address(a->to_string(), true);
  if (!again || again->to_string() != a->to_string() || again->port != a->port) std::abort();
  return 0;
}
