#pragma once
// History rows of `reach usage` from the store's hourly buckets, pure: the spans (hours, local
// days, local months, billing cycles) that cover a time range, and the hourly bytes summed into
// them. Because the store keeps hours, not cycles, a changed cycle (another start day, zone or
// length) re-buckets the whole history by calling these again. An hour counts in the span that
// holds its start, so a span boundary inside an hour (zones at :30 or :45 from UTC, such as
// Asia/Kolkata) is exact to that hour only.
#include <cstdint>
#include <vector>

#include "config/usage_config.hpp"
#include "engine/usage_cycle.hpp"
#include "model/usage.hpp"

namespace reach::engine {

struct HourRow {  // bytes counted in [start, start + 3600), start a whole UTC hour (unix s)
  std::int64_t start = 0;
  std::uint64_t rx = 0, tx = 0;
};

enum class Span : std::uint8_t { hour, day, month, cycle };

// The spans of `kind` from the one holding `from` to the one holding `to - 1`, oldest first;
// at most `max` (the newest ones). Days and months are local to `zone`; hours are UTC hours.
std::vector<CycleBounds> spans(Span kind, const config::UsageCycle& cycle, const ZoneRules& zone, std::int64_t from,
                               std::int64_t to, std::size_t max = 100000);

// Rows (any order) summed into `spans` (ascending, contiguous or not); each bucket's `local` is
// its start in `zone`. A row outside every span is left out.
std::vector<model::UsageBucket> sum_into(const std::vector<HourRow>& rows, const std::vector<CycleBounds>& spans,
                                         const ZoneRules& zone);

// The model's LocalStamp of an instant.
model::LocalStamp local_stamp(std::int64_t unix_s, const ZoneRules& zone);

}  // namespace reach::engine
