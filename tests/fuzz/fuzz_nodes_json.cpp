// Load balancer node lists: the known shapes and --select pointers, on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/nodes_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto check = [](const auto& r) {
    if (r)
      for (const auto& n : *r)
        if (n.port == 0 || n.address.empty()) __builtin_trap();
  };
  check(reach::config::parse_nodes_json(text, "fuzz", std::nullopt));
  // The first line may be a --select expression, the rest the document.
  auto nl = text.find('\n');
  if (nl != std::string_view::npos)
    if (auto s = reach::config::parse_select(text.substr(0, nl)))
      check(reach::config::parse_nodes_json(text.substr(nl + 1), "fuzz", *s));
  return 0;
}
