// A peer agent's /api/v1/targets answer (`peers:`), on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/peer_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = reach::config::parse_peer_targets(text, "fuzz"))
    for (const auto& [name, state] : *r)
      if (state != reach::model::TargetState::up && state != reach::model::TargetState::down &&
          state != reach::model::TargetState::unknown)
        __builtin_trap();
  return 0;
}
