#pragma once
// Compact encodings of what the history tables hold: a round's RTTs (ascending, as LEB128
// varints of the first value and then the gaps) and a rollup's histogram (sparse bucket/count
// varint pairs). Decoders take any bytes: a damaged blob gives nullopt, never a crash.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace reach::store {

std::string encode_rtts(const std::vector<TimeNs>& ascending);
std::optional<std::vector<TimeNs>> decode_rtts(std::string_view blob);
std::string encode_hist(const Histogram& h);
std::optional<Histogram> decode_hist(std::string_view blob);

// What a rollup row stores, mergeable: a minute is the merge of its rounds, an hour of its
// minutes.
struct Rollup {
  std::uint32_t count = 0, successes = 0;
  std::uint64_t sent = 0, received = 0;
  TimeNs rtt_min = 0, rtt_max = 0;
  std::int64_t rtt_sum = 0;      // sum of every RTT (ns)
  std::int64_t median_sum = 0;   // sum of the medians of rounds with a reply
  std::uint32_t median_count = 0;
  Histogram hist{};

  void add_round(bool success, int sent, int received, const std::vector<TimeNs>& rtts);
  void merge(const Rollup& o);
  HistoryPoint point(TimeNs wall, Resolution r) const;
};

}  // namespace reach::store
