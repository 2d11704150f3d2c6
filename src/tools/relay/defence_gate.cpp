// The relay's admission through the flood defences (tools/relay/defence: per-prefix limits,
// global and memory caps, bans black-holed in nftables), behind the Gate the accept and close
// paths call.
#include <cstdint>

#include "tools/relay/defence.hpp"
#include "tools/relay/gate.hpp"

namespace reach::tools::relay {
namespace {

class DefenceGate final : public Gate {
 public:
  explicit DefenceGate(std::unique_ptr<Defence> d) : d_(std::move(d)) {}
  Verdict admit(const IpAddr& peer, TimeNs now) override {
    const Admit a = d_->admit(peer, now);
    return a.ok ? Verdict{} : Verdict{false, std::string(engine::refusal_name(a.reason))};
  }
  void released(const IpAddr& peer, TimeNs now) override { d_->released(peer, now); }
  TimeNs head_deadline(TimeNs at) const override { return d_->head_deadline(at); }
  void head_timed_out(const IpAddr& peer) override { d_->head_timed_out(peer); }
  void tick(TimeNs now) override { (void)d_->tick(now); }  // a failed batch is retried and counted
  TimeNs tick_interval() const override { return d_->flush_interval(); }
  void append_metrics(std::vector<format::prom::Family>& out) const override {
    for (auto& f : d_->metric_families()) out.push_back(std::move(f));
  }
  std::vector<std::string> take_events() override { return d_->take_events(); }
  void memory_in_use(std::uint64_t bytes) override { d_->set_memory_in_use(bytes); }
  std::string status() const override { return d_->syn_cookies().text() + "; " + d_->blackhole_status(); }
  bool needs_net_admin() const override { return d_->blackhole_ready(); }

 private:
  std::unique_ptr<Defence> d_;
};

}  // namespace

Result<std::unique_ptr<Gate>> defence_gate(const config::RelayConfig& cfg) {
  DefenceConfig dc;
  dc.limits = cfg.limits;
  dc.head_deadline = cfg.head_timeout;
  auto d = Defence::create(std::move(dc));
  if (!d) return tl::unexpected(d.error());
  return std::unique_ptr<Gate>(std::make_unique<DefenceGate>(std::move(*d)));
}

}  // namespace reach::tools::relay
