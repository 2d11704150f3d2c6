// Endpoint arguments and --file lists: any bytes give an endpoint list or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/endpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto e = reach::config::parse_endpoint(text)) {
    if (e->port == 0 || e->host.empty()) __builtin_trap();
  }
  if (auto list = reach::config::parse_endpoint_file(text, "fuzz")) {
    for (const auto& e : *list)
      if (e.port == 0 || e.host.empty()) __builtin_trap();
  }
  return 0;
}
