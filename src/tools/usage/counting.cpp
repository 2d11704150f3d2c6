#include "tools/usage/counting.hpp"

#include <algorithm>

namespace reach::tools::usage {

namespace {

constexpr TimeNs kBucketNs = store::kUsageBucket * kNsPerSec;

std::int64_t hour_of(TimeNs wall) {
  TimeNs h = wall / kBucketNs;
  if (wall % kBucketNs < 0) --h;  // floor for times before 1970 (never in practice)
  return h * store::kUsageBucket;
}

void add(std::vector<store::UsageBytes>& out, std::int64_t hour, std::uint64_t rx, std::uint64_t tx) {
  if (rx == 0 && tx == 0) return;
  if (!out.empty() && out.back().hour == hour) {
    out.back().rx += rx;
    out.back().tx += tx;
    return;
  }
  out.push_back({hour, rx, tx});
}

// bytes * part / whole without overflow (both fit 64 bits; the product may not).
std::uint64_t share(std::uint64_t bytes, TimeNs part, TimeNs whole) {
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(bytes) * static_cast<std::uint64_t>(part) /
                                    static_cast<std::uint64_t>(whole));
}

}  // namespace

void spread_hours(std::uint64_t rx, std::uint64_t tx, TimeNs from, TimeNs to, std::vector<store::UsageBytes>& out) {
  if (rx == 0 && tx == 0) return;
  if (from <= 0 || from >= to || hour_of(from) == hour_of(to)) return add(out, hour_of(to), rx, tx);
  const TimeNs span = to - from;
  std::uint64_t rx_left = rx, tx_left = tx;
  for (TimeNs t = from; t < to;) {
    const std::int64_t hour = hour_of(t);
    const TimeNs end = std::min<TimeNs>((hour + store::kUsageBucket) * kNsPerSec, to);
    if (end >= to) {
      add(out, hour, rx_left, tx_left);
      break;
    }
    const std::uint64_t r = std::min(share(rx, end - t, span), rx_left);
    const std::uint64_t x = std::min(share(tx, end - t, span), tx_left);
    add(out, hour, r, x);
    rx_left -= r;
    tx_left -= x;
    t = end;
  }
}

Result<SourceSample> follow_interface(const config::UsageSource& source, const std::vector<sys::LinkStats>& links,
                                      const std::string& boot_id, TimeNs wall, int& followed) {
  if (source.mac.empty() && followed > 0) {
    auto l = std::find_if(links.begin(), links.end(), [&](const sys::LinkStats& x) { return x.ifindex == followed; });
    if (l != links.end()) {
      config::UsageSource same = source;
      same.interface = l->name;
      return interface_sample(same, links, boot_id, wall);
    }
  }
  auto s = interface_sample(source, links, boot_id, wall);
  followed = 0;
  if (s)
    for (const sys::LinkStats& l : links)
      if (l.name == s->display) followed = l.ifindex;
  return s;
}

}  // namespace reach::tools::usage
