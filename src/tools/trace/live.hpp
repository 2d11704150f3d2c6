#pragma once
// --live: an mtr-like full-screen table, redrawn after every round; q or Ctrl-C quits.
#include <memory>
#include <ostream>
#include <vector>

#include "format/trace_writer.hpp"

namespace reach::tools {

class LiveScreen {
 public:
  virtual ~LiveScreen() = default;
  virtual void update(const std::vector<model::TraceReportRow>& rows, int rounds, bool reached) = 0;
  virtual bool quit_requested() = 0;
};

// nullptr when stdout is not a terminal.
std::unique_ptr<LiveScreen> make_live_screen(std::ostream& out, const format::TraceRunInfo& info,
                                             const format::NameOf& name);

}  // namespace reach::tools
