// Fuzzes the target and port parsers of `reach scan` and the address set they feed: no crash,
// and every address the set yields maps back to its own index.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/scan_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)reach::engine::parse_ports(text);
  reach::engine::TargetSet set;
  bool exclude = false;
  for (const auto& word : reach::engine::split_target_list(text)) {
    auto t = reach::engine::parse_target(word);
    if (!t || !t->range) continue;
    if (exclude) set.exclude(*t->range);
    else set.add(*t->range);
    exclude = !exclude;
  }
  set.finalize();
  std::uint64_t n = set.size();
  for (std::uint64_t i : {std::uint64_t{0}, n / 2, n - 1}) {
    if (i >= n) continue;
    auto back = set.index_of(set.at(i));
    if (!back || *back != i) __builtin_trap();
  }
  return 0;
}
