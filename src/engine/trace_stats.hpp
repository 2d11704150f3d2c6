#pragma once
// Statistics over rounds of traces (--report, --live): per hop and responding address, the
// counts and RTTs mtr shows (Last Avg Best Wrst StDev).
#include <map>
#include <vector>

#include "model/trace.hpp"

namespace reach::engine {

class TraceStats {
 public:
  // Adds the hops of one finished round (probes of hops the round never sent are not counted).
  void add_round(const model::TraceResult& r);
  std::vector<model::TraceReportRow> rows() const;
  int rounds() const { return rounds_; }

 private:
  struct Addr {
    std::uint64_t received = 0;
    double last = 0, sum = 0, sumsq = 0, best = 0, worst = 0;
    int order = 0;  // first seen
  };
  struct Hop {
    std::uint64_t sent = 0, received = 0;
    std::map<IpAddr, Addr> addrs;
  };
  std::map<int, Hop> hops_;
  int last_ttl_ = 0;  // the deepest hop of the latest round (the target moves no further)
  int rounds_ = 0;
  int seen_ = 0;
};

}  // namespace reach::engine
