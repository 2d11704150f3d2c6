#include "tools/relay/gate.hpp"

namespace reach::tools::relay {
namespace {

class OpenGate final : public Gate {
 public:
  explicit OpenGate(TimeNs head) : head_(head) {}
  Verdict admit(const IpAddr&, TimeNs) override { return {}; }
  void released(const IpAddr&, TimeNs) override {}
  TimeNs head_deadline(TimeNs at) const override { return at + head_; }
  void head_timed_out(const IpAddr&) override {}

 private:
  TimeNs head_;
};

}  // namespace

std::unique_ptr<Gate> open_gate(const config::RelayConfig& cfg) {
  return std::make_unique<OpenGate>(cfg.head_timeout);
}

}  // namespace reach::tools::relay
