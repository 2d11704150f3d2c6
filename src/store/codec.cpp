#include "store/codec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace reach::store {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::optional<std::uint64_t> get_varint(std::string_view& in) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return std::nullopt;
    auto b = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  return std::nullopt;
}

// Bucket bounds: 8 us * 2^((i+1)/3), computed once.
struct Bounds {
  std::array<TimeNs, kHistBuckets> upper{};
  Bounds() {
    for (int i = 0; i < kHistBuckets; ++i)
      upper[static_cast<std::size_t>(i)] =
          i == kHistBuckets - 1 ? std::numeric_limits<TimeNs>::max()
                                : static_cast<TimeNs>(std::llround(8000.0 * std::exp2((i + 1) / 3.0)));
  }
};
const Bounds& bounds() {
  static const Bounds b;
  return b;
}

}  // namespace

TimeNs hist_upper_bound(int bucket) {
  return bounds().upper[static_cast<std::size_t>(std::clamp(bucket, 0, kHistBuckets - 1))];
}

int hist_bucket(TimeNs rtt) {
  const auto& u = bounds().upper;
  return static_cast<int>(std::upper_bound(u.begin(), u.end() - 1, rtt) - u.begin());
}

std::string encode_rtts(const std::vector<TimeNs>& ascending) {
  std::string out;
  TimeNs prev = 0;
  for (TimeNs r : ascending) {
    TimeNs v = std::max<TimeNs>(r, prev);  // ascending by contract; never a negative gap
    put_varint(out, static_cast<std::uint64_t>(v - prev));
    prev = v;
  }
  return out;
}

std::optional<std::vector<TimeNs>> decode_rtts(std::string_view blob) {
  std::vector<TimeNs> out;
  std::uint64_t acc = 0;
  while (!blob.empty()) {
    auto v = get_varint(blob);
    if (!v || *v > static_cast<std::uint64_t>(std::numeric_limits<TimeNs>::max()) - acc) return std::nullopt;
    acc += *v;
    out.push_back(static_cast<TimeNs>(acc));
  }
  return out;
}

std::string encode_hist(const Histogram& h) {
  std::string out;
  for (int i = 0; i < kHistBuckets; ++i) {
    if (h[static_cast<std::size_t>(i)] == 0) continue;
    put_varint(out, static_cast<std::uint64_t>(i));
    put_varint(out, h[static_cast<std::size_t>(i)]);
  }
  return out;
}

std::optional<Histogram> decode_hist(std::string_view blob) {
  Histogram h{};
  while (!blob.empty()) {
    auto i = get_varint(blob);
    auto n = get_varint(blob);
    if (!i || !n || *i >= kHistBuckets || *n > 0xffffffffu) return std::nullopt;
    h[*i] = static_cast<std::uint32_t>(*n);
  }
  return h;
}

void Rollup::add_round(bool success, int sent_n, int received_n, const std::vector<TimeNs>& rtts) {
  ++count;
  successes += success ? 1 : 0;
  sent += static_cast<std::uint64_t>(std::max(sent_n, 0));
  received += static_cast<std::uint64_t>(std::max(received_n, 0));
  if (rtts.empty()) return;
  if (median_count == 0) rtt_min = rtt_max = rtts.front();
  for (TimeNs r : rtts) {
    rtt_min = std::min(rtt_min, r);
    rtt_max = std::max(rtt_max, r);
    rtt_sum += r;
    ++hist[static_cast<std::size_t>(hist_bucket(r))];
  }
  std::size_t n = rtts.size();
  median_sum += n % 2 ? rtts[n / 2] : (rtts[n / 2 - 1] + rtts[n / 2]) / 2;
  ++median_count;
}

void Rollup::merge(const Rollup& o) {
  bool had = median_count > 0, other = o.median_count > 0;
  count += o.count;
  successes += o.successes;
  sent += o.sent;
  received += o.received;
  if (other) {
    rtt_min = had ? std::min(rtt_min, o.rtt_min) : o.rtt_min;
    rtt_max = had ? std::max(rtt_max, o.rtt_max) : o.rtt_max;
  }
  rtt_sum += o.rtt_sum;
  median_sum += o.median_sum;
  median_count += o.median_count;
  for (std::size_t i = 0; i < hist.size(); ++i) hist[i] += o.hist[i];
}

HistoryPoint Rollup::point(TimeNs wall, Resolution r) const {
  HistoryPoint p;
  p.wall = wall;
  p.resolution = r;
  p.count = count;
  p.successes = successes;
  p.sent = sent;
  p.received = received;
  std::uint64_t n = 0;
  for (auto c : hist) n += c;
  p.rtt_min = rtt_min;
  p.rtt_max = rtt_max;
  p.rtt_mean = n ? rtt_sum / static_cast<std::int64_t>(n) : 0;
  p.median_mean = median_count ? median_sum / median_count : 0;
  p.hist = hist;
  return p;
}

TimeNs HistoryPoint::quantile(double q) const {
  q = std::clamp(q, 0.0, 1.0);
  if (!rtts.empty()) {
    auto i = static_cast<std::size_t>(std::llround(q * static_cast<double>(rtts.size() - 1)));
    return rtts[i];
  }
  std::uint64_t n = 0;
  for (auto c : hist) n += c;
  if (n == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  std::uint64_t seen = 0;
  for (int i = 0; i < kHistBuckets; ++i) {
    seen += hist[static_cast<std::size_t>(i)];
    if (seen >= rank) {
      double lo = i == 0 ? 4000.0 : static_cast<double>(hist_upper_bound(i - 1));
      double hi = i == kHistBuckets - 1 ? lo * 2 : static_cast<double>(hist_upper_bound(i));
      auto mid = static_cast<TimeNs>(std::sqrt(lo * hi));
      return std::clamp(mid, rtt_min, std::max(rtt_min, rtt_max));
    }
  }
  return rtt_max;
}

}  // namespace reach::store
