// `reach watch` with a `usage:` section in its file: the usage counting loop (tools/usage/runner)
// runs on watch's reactor, in watch's database, and notifies through watch's outbox sender, so
// one daemon does both (docs/USAGE.md "Inside reach watch").
#include <fmt/format.h>

#include "config/usage_config.hpp"
#include "format/usage_plugins.hpp"
#include "sys/clock.hpp"
#include "sys/input_file.hpp"
#include "tools/usage/report.hpp"
#include "tools/usage/runner.hpp"
#include "tools/watch/daemon.hpp"

namespace reach::tools::watch {

Result<void> Daemon::start_usage() {
  if (!opts_.config.usage || opts_.config_path.empty()) return {};
  auto text = sys::read_input_file(opts_.config_path);
  if (!text) return tl::unexpected(text.error());
  auto cfg = config::parse_usage_config(*text, opts_.config_path);
  if (!cfg) return tl::unexpected(cfg.error().to_error());
  if (!store_) return fail("usage", opts_.config_path, 0, "the usage: section counts into the database: set `db:`");
  // watch keeps CAP_NET_RAW only: a block it could not install must not look configured.
  for (const auto& p : cfg->plans)
    if (p.on_cap_block)
      return fail("usage", opts_.config_path, 0,
                  fmt::format("plan {}: on_cap.block needs `reach usage --daemon` (which keeps CAP_NET_ADMIN for it), not reach watch", p.name));
  store::UsageStoreOptions o;
  o.path = *opts_.config.db;
  auto us = store::UsageStore::open(o);
  if (!us) return tl::unexpected(us.error());
  usage_store_ = std::move(*us);
  usage::RunnerHooks hooks;
  hooks.log = [this](const std::string& line) {
    if (opts_.lines) out_ << line << '\n' << std::flush;
  };
  hooks.error = [this](const std::string& line) {
    emit(model::WatchEvent{model::WatchEvent::Kind::error, sys::WallClock().now(), {}, {}, {}, {}, line, 0});
  };
  hooks.queued = [this] { reactor_->post([this] { pump_outbox(); }); };
  auto r = usage::Runner::create(*reactor_, std::move(*cfg), *usage_store_, store_.get(), std::move(hooks));
  if (!r) return tl::unexpected(r.error());
  usage_ = std::move(*r);
  usage_->start();
  return {};
}

void Daemon::finish_usage() {
  if (usage_) usage_->finish();
}

void Daemon::append_usage_metrics(std::vector<format::prom::Family>& families) {
  if (!usage_) return;
  auto rep = usage::build_report(usage_->config(), *usage_store_, usage::wall_now() / kNsPerSec, {});
  if (!rep) {
    emit(model::WatchEvent{model::WatchEvent::Kind::error, sys::WallClock().now(), {}, {}, {}, {},
                           "usage metrics: " + rep.error().message(), 0});
    return;
  }
  for (auto& f : format::usage_metric_families(*rep)) families.push_back(std::move(f));
}

}  // namespace reach::tools::watch
