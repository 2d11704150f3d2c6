#pragma once
// The statistics of one round's RTTs that the exports share (SmokePing's per-round view):
// min, median, max, mean, population standard deviation and quantiles, in seconds.
#include <vector>

#include "base/time.hpp"

namespace reach::format {

// Quantile q (0..1) of ascending samples by linear interpolation between the two closest ranks
// (Hyndman & Fan type 7, numpy's default): q=0 is the min, q=0.5 the median, q=1 the max.
// Samples must not be empty.
double quantile_seconds(const std::vector<TimeNs>& ascending, double q);

struct RttSummary {
  double min = 0, median = 0, max = 0, mean = 0, stddev = 0;  // seconds
};
// Samples must not be empty; they need not be sorted.
RttSummary summarize_rtts(std::vector<TimeNs> rtts);

}  // namespace reach::format
