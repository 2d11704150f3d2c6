#include "tools/trace/live.hpp"

#include <fmt/format.h>

#include <sstream>

#include "sys/terminal.hpp"

namespace reach::tools {
namespace {

class AnsiLive final : public LiveScreen {
 public:
  AnsiLive(std::ostream& out, const format::TraceRunInfo& info, const format::NameOf& name)
      : out_(out), info_(info), name_(name), input_(sys::RawInput::enter()) {
    out_ << "\x1b[?1049h\x1b[?25l";  // the alternate screen, cursor hidden: the shell comes back intact
    out_.flush();
  }
  ~AnsiLive() override {
    out_ << "\x1b[?25h\x1b[?1049l";
    out_.flush();
  }

  void update(const std::vector<model::TraceReportRow>& rows, int rounds, bool reached) override {
    std::ostringstream table;
    format::write_trace_report_text(table, info_.name + " (" + info_.target.to_string() + ")", rows, name_, info_.geo);
    out_ << "\x1b[H\x1b[2J";
    out_ << fmt::format("reach trace --live  {} {}  round {}  {}   (q to quit)\n\n", format::trace_method_name(info_.method),
                        info_.target.to_string(), rounds, reached ? "target reached" : "target not reached yet");
    out_ << table.str();
    out_.flush();
  }

  bool quit_requested() override {
    while (input_) {
      auto k = input_->key();
      if (!k) break;
      if (*k == 'q' || *k == 'Q' || *k == 3) quit_ = true;
    }
    return quit_;
  }

 private:
  std::ostream& out_;
  format::TraceRunInfo info_;
  format::NameOf name_;
  std::unique_ptr<sys::RawInput> input_;
  bool quit_ = false;
};

}  // namespace

std::unique_ptr<LiveScreen> make_live_screen(std::ostream& out, const format::TraceRunInfo& info,
                                             const format::NameOf& name) {
  if (!sys::stdout_is_terminal()) return nullptr;
  return std::make_unique<AnsiLive>(out, info, name);
}

}  // namespace reach::tools
