#include "format/sparkline.hpp"

#include <algorithm>

namespace reach::format {

std::string sparkline(const std::vector<std::optional<TimeNs>>& medians, std::size_t width) {
  static const char* kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  const std::size_t from = medians.size() > width ? medians.size() - width : 0;
  TimeNs top = 1;
  for (std::size_t i = from; i < medians.size(); ++i)
    if (medians[i]) top = std::max(top, *medians[i]);
  std::string out;
  for (std::size_t i = from; i < medians.size(); ++i) {
    if (!medians[i]) {
      out += '.';
      continue;
    }
    const auto level = static_cast<std::size_t>((*medians[i] * 7 + top / 2) / top);
    out += kBars[std::min<std::size_t>(level, 7)];
  }
  return out;
}

}  // namespace reach::format
