// Per-round RTT statistics for the watch exports.
#include "format/rtt_summary.hpp"

#include <algorithm>
#include <cmath>

namespace reach::format {

double quantile_seconds(const std::vector<TimeNs>& a, double q) {
  double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(a.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, a.size() - 1);
  double frac = pos - static_cast<double>(lo);
  double v = static_cast<double>(a[lo]) + frac * static_cast<double>(a[hi] - a[lo]);
  return v / 1e9;
}

RttSummary summarize_rtts(std::vector<TimeNs> rtts) {
  std::sort(rtts.begin(), rtts.end());
  RttSummary s;
  s.min = static_cast<double>(rtts.front()) / 1e9;
  s.max = static_cast<double>(rtts.back()) / 1e9;
  s.median = quantile_seconds(rtts, 0.5);
  double sum = 0;
  for (TimeNs r : rtts) sum += static_cast<double>(r) / 1e9;
  s.mean = sum / static_cast<double>(rtts.size());
  double var = 0;
  for (TimeNs r : rtts) var += std::pow(static_cast<double>(r) / 1e9 - s.mean, 2);
  s.stddev = std::sqrt(var / static_cast<double>(rtts.size()));
  return s;
}

}  // namespace reach::format
