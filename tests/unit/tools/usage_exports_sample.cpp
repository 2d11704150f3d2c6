// Prints `reach usage`'s Prometheus series (argv[1] "metrics"; "metrics-om": OpenMetrics) for
// promtool_check.sh, and MRTG's 4 lines (mrtg: counters; mrtg-unknown: a source never read) for
// mrtg_check.sh.
#include <iostream>

#include "format/usage_plugins.hpp"
#include "usage_report.hpp"

using namespace reach;

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "metrics";
  auto r = testing::sample_usage_report();
  if (what == "mrtg") {
    std::cout << format::usage_mrtg(r.plans[0].sources[0], r.now);
  } else if (what == "mrtg-unknown") {
    std::cout << format::usage_mrtg(r.plans[0].sources[1], r.now);
  } else {
    auto body = format::prom::render(format::usage_metric_families(r),
                                     what == "metrics-om" ? format::prom::Format::openmetrics : format::prom::Format::text);
    if (!body) {
      std::cerr << body.error().message() << "\n";
      return 1;
    }
    std::cout << *body;
  }
  return 0;
}
