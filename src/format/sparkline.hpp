#pragma once
// A latency sparkline in block characters: the live table of `reach watch` and its dashboard.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"

namespace reach::format {

// Eight levels, scaled to the shown window's own maximum, of the last `width` medians; '.' for a
// round that got no answer.
std::string sparkline(const std::vector<std::optional<TimeNs>>& medians, std::size_t width);

}  // namespace reach::format
