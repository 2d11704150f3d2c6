#pragma once
// A `reach usage` report for the formatter tests and the export samples: the 30 GB
// mobile plan in Berlin time, 9 days into a cycle from the 15th, with one source down.
#include "model/usage.hpp"

namespace reach::testing {

inline model::LocalStamp stamp(int y, int mo, int d, int h, int mi, long off) {
  return {y, mo, d, h, mi, 0, off};
}

inline model::UsageReport sample_usage_report() {
  model::UsageReport r;
  r.now = 1796050800;  // 2026-11-30T15:00:00Z, 16:00 in Berlin
  model::UsagePlanReport p;
  p.name = "mobile";
  p.count = model::UsageCount::both;
  p.tz = "Europe/Berlin";
  p.cap = 30'000'000'000;
  p.rx = 20'000'000'000;
  p.tx = 4'690'000'000;
  p.used = p.rx + p.tx;
  p.percent = 82.3;
  p.cycle_start = 1794697200;  // 2026-11-15T00:00:00+01:00
  p.cycle_end = 1797289200;    // 2026-12-15T00:00:00+01:00
  p.cycle_start_local = stamp(2026, 11, 15, 0, 0, 3600);
  p.cycle_end_local = stamp(2026, 12, 15, 0, 0, 3600);
  p.now_local = stamp(2026, 11, 30, 16, 0, 3600);
  p.projected_exhaustion = 1796666400;  // 2026-12-07T18:00:00Z
  p.projected_local = stamp(2026, 12, 7, 19, 0, 3600);
  p.daily_budget = 355'625'000;
  p.days_left = 15;
  p.thresholds = {80, 90, 100};
  p.fired = {-1, 80};
  model::UsageSourceStatus wwan;
  wwan.id = "if:mac:02:00:5e:10:00:0a";
  wwan.name = "wwan0";
  wwan.rx_total = 123'456'789'012;
  wwan.tx_total = 23'456'789'012;
  wwan.first_seen = r.now - (3 * 86400 + 2 * 3600 + 10 * 60 + 5);
  wwan.last_read = r.now;
  wwan.rx = p.rx;
  wwan.tx = p.tx;
  model::UsageSourceStatus ppp;
  ppp.id = "if:name:ppp0";
  ppp.name = "ppp0";
  ppp.ok = false;
  ppp.problem = "no interface ppp0";
  p.sources = {wwan, ppp};
  // 2026-11-28, 29 and 30 (local days), the cycle before this one and this one.
  p.days = {{1796079600 - 3 * 86400, 1796079600 - 2 * 86400, stamp(2026, 11, 28, 0, 0, 3600), 1'500'000'000, 250'000'000},
            {1796079600 - 2 * 86400, 1796079600 - 86400, stamp(2026, 11, 29, 0, 0, 3600), 2'000'000'000, 300'000'000},
            {1796079600 - 86400, 1796079600, stamp(2026, 11, 30, 0, 0, 3600), 864'000'000, 0}};
  p.cycles = {{1792015200, 1794697200, stamp(2026, 10, 15, 0, 0, 7200), 25'000'000'000, 5'000'000'000},
              {1794697200, 1797289200, stamp(2026, 11, 15, 0, 0, 3600), p.rx, p.tx}};
  p.months = {{1793487600, 1796079600, stamp(2026, 11, 1, 0, 0, 3600), 30'000'000'000, 6'000'000'000}};
  p.hours = {{1796050800, 1796054400, stamp(2026, 11, 30, 16, 0, 3600), 1000, 2000}};
  r.plans.push_back(p);
  return r;
}

}  // namespace reach::testing
