#include "tools/usage/usage.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "io/daemon_signals.hpp"
#include "io/nft_usage_block.hpp"
#include "sys/caps.hpp"
#include "sys/daemon_privs.hpp"
#include "sys/file_lock.hpp"
#include "sys/input_file.hpp"
#include "sys/link_stats.hpp"
#include "tools/notify/outbox_sender.hpp"
#include "tools/usage/report.hpp"
#include "tools/usage/runner.hpp"
#include "tools/watch/daemon.hpp"
#include "tools/zone_rules.hpp"

namespace reach::tools {

namespace {

// Everything a daemon could refuse is checked before the database is created: a bad input
// exits 2 with one line and leaves no file behind.
int daemon(const config::UsageConfig& cfg, std::ostream& out, std::ostream& err) {
  config::WatchConfig notifier_cfg;  // read_mail_passwords reads only the notifiers
  notifier_cfg.notifiers = cfg.notifiers;
  auto passwords = watch::read_mail_passwords(notifier_cfg);
  if (!passwords) {
    err << "reach usage: " << passwords.error().message() << '\n';
    return 2;
  }
  auto reactor = io::Reactor::create();
  if (!reactor) {
    err << "reach usage: " << reactor.error().message() << '\n';
    return 2;
  }
  io::Reactor& loop = **reactor;
  // Opened before privileges go: the file may be writable by root alone.
  std::unique_ptr<store::Store> outbox;
  const bool notifies = std::any_of(cfg.plans.begin(), cfg.plans.end(), [](const auto& p) { return !p.notify.empty(); });
  if (notifies) {
    store::Options so;
    so.path = *cfg.db;
    auto s = store::Store::open(so);
    if (!s) {
      err << "reach usage: " << s.error().message() << '\n';
      return 2;
    }
    outbox = std::move(*s);
  }
  store::UsageStoreOptions uo;
  uo.path = *cfg.db;
  auto ustore = store::UsageStore::open(uo);
  if (!ustore) {
    err << "reach usage: " << ustore.error().message() << '\n';
    return 2;
  }
  // Counting reads netlink and files, notifying speaks HTTP/SMTP or starts a command: nothing
  // needs a capability, except on_cap.block's netlink transactions (CAP_NET_ADMIN, kept only
  // when a plan blocks; the table is checked now, so a missing right is an error at start).
  const bool blocks = std::any_of(cfg.plans.begin(), cfg.plans.end(), [](const auto& p) { return p.on_cap_block; });
  if (blocks) {
    auto nft = io::NftUsageBlock::open();
    auto e = nft ? nft->ensure(std::find_if(cfg.plans.begin(), cfg.plans.end(), [](const auto& p) { return p.on_cap_block; })->on_cap_allow)
                 : Result<void>(tl::unexpected(nft.error()));
    if (!e) {
      err << "reach usage: on_cap.block: " << e.error().message() << '\n';
      return 2;
    }
  }
  if (auto d = blocks ? sys::keep_only_capabilities({CAP_NET_ADMIN}) : sys::drop_all_capabilities(); !d) {
    err << "reach usage: " << d.error().message() << '\n';
    return 2;
  }

  auto log = [&out](const std::string& line) { out << line << '\n' << std::flush; };
  auto error = [&err](const std::string& line) { err << "reach usage: " << line << '\n' << std::flush; };
  std::unique_ptr<notify::OutboxSender> sender;
  if (outbox) {
    if (auto l = notify::load_notifier_libraries(cfg.notifiers); !l) {
      err << "reach usage: " << l.error().message() << '\n';
      return 2;
    }
    notify::OutboxSender::Hooks h;
    h.find = [&cfg](std::string_view name) -> const config::Notifier* {
      for (const auto& n : cfg.notifiers)
        if (n.name == name) return &n;
      return nullptr;
    };
    h.password = [pw = *passwords](std::string_view name) {
      auto it = pw.find(std::string(name));
      return it != pw.end() ? it->second : std::string();
    };
    h.error = error;
    sender = std::make_unique<notify::OutboxSender>(loop, *outbox, std::move(h));
  }
  usage::RunnerHooks hooks;
  hooks.log = log;
  hooks.error = error;
  hooks.queued = [&sender, &loop] {
    if (sender) loop.post([&sender] { sender->pump(); });
  };
  auto runner = usage::Runner::create(loop, cfg, **ustore, outbox.get(), hooks);
  if (!runner) {
    err << "reach usage: " << runner.error().message() << '\n';
    return 2;
  }
  auto stop = [&] {
    (*runner)->finish();
    if (!sender) return loop.stop();
    sender->drain(notify::OutboxSender::kStopWait, [&loop] { loop.stop(); });
  };
  // usage always has a config file (--config is required), read once: a SIGHUP says so.
  if (auto s = io::handle_daemon_signals(loop, {"reach usage", stop, [&log] {
                                                  log("usage: SIGHUP: a changed config takes effect at the next start");
                                                }, {}});
      !s) {
    err << "reach usage: " << s.error().message() << '\n';
    return 2;
  }
  log(fmt::format("usage: counting {} plans every {} ms into {}", cfg.plans.size(), cfg.poll / kNsPerMs, *cfg.db));
  (*runner)->start();
  if (sender) sender->pump();  // what an earlier run left in the outbox
  if (auto r = loop.run(); !r) {
    err << "reach usage: " << r.error().message() << '\n';
    return 2;
  }
  return 0;
}

// --unblock PLAN: the plan's names out of the set now. The once-per-cycle state stays: the
// daemon does not block again before the next cycle.
int unblock(const config::UsageConfig& cfg, const std::string& name, std::ostream& out, std::ostream& err) {
  const config::UsagePlan* p = cfg.find_plan(name);
  if (!p || !p->on_cap_block) {
    err << "reach usage: --unblock: " << (p ? "plan '" + name + "' has no on_cap.block" : "no plan '" + name + "' in " + cfg.source) << '\n';
    return 2;
  }
  const auto names = usage::block_names(*p);
  auto nft = io::NftUsageBlock::open();
  if (!nft) {
    err << "reach usage: --unblock: " << nft.error().message() << '\n';
    return 2;
  }
  // Say what was lifted: a new-user test got "unblocked" for a set that did not exist. No table
  // or set (ENOENT) is nothing blocked.
  auto now = nft->list();
  if (!now && now.error().err != ENOENT) {
    err << "reach usage: --unblock: " << now.error().message() << '\n';
    return 2;
  }
  std::vector<std::string> present;
  for (const auto& n : names)
    if (now && std::any_of(now->begin(), now->end(), [&](const auto& e) { return e.ifname == n; }))
      present.push_back(n);
  if (present.empty()) {
    out << fmt::format("usage: plan {}: nothing blocked ({} not in the set)\n", name, fmt::join(names, ", "));
    return 0;
  }
  if (auto r = nft->unblock(present); !r) {
    err << "reach usage: --unblock: " << r.error().message() << '\n';
    return 2;
  }
  out << fmt::format("usage: plan {}: unblocked {}\n", name, fmt::join(present, ", "));
  return 0;
}

// What the parser cannot know: a database to keep the counts in (for the daemon, one it can
// create or write: --validate refuses what the start would), and tzdata for each cycle's zone.
// Every problem, one line each; refused before any file is created or opened.
std::vector<std::string> setup_problems(const std::string& file, const config::UsageConfig& cfg, bool writes) {
  std::vector<std::string> problems;
  if (!cfg.db)
    problems.push_back("reach usage: " + file +
                       ": the counts live in a database: set `db:` (e.g. /var/lib/reach/usage/usage.db) or give --db");
  else if (writes)
    if (auto d = sys::check_data_file(*cfg.db); !d) problems.push_back("reach usage: " + d.error().message());
  for (const config::UsagePlan& p : cfg.plans)
    if (auto z = SystemZone::open(p.cycle.tz); !z)
      problems.push_back(fmt::format("{}:{}: usage.plans[{}].cycle.tz: no time zone '{}' on this system (tzdata)", file,
                                     p.cycle.tz_line ? p.cycle.tz_line : p.line, &p - cfg.plans.data(), p.cycle.tz));
  return problems;
}

// An interface named in a plan that this host does not have now: a warning, not an error (vnStat
// refuses it): ppp0, wwan0 and VPN links exist only while connected, and the daemon counts one
// from when it appears. A typo is then said here and at the start instead of counting nothing.
std::vector<std::string> interface_warnings(const std::string& file, const config::UsageConfig& cfg) {
  std::vector<std::string> lines;
  auto links = sys::read_link_stats();
  if (!links) return lines;  // the daemon says it at its first poll
  for (const config::UsagePlan& p : cfg.plans)
    for (const config::UsageSource& s : p.sources) {
      if (s.kind != config::UsageSource::Kind::interface || s.interface.empty() || !s.mac.empty()) continue;
      if (std::none_of(links->begin(), links->end(), [&](const sys::LinkStats& l) { return l.name == s.interface; }))
        lines.push_back(fmt::format("reach usage: {}:{}: warning: usage.plans[{}].interfaces: no interface named {} here "
                                    "now; it is counted from when it appears (check the name if it should be here)",
                                    file, s.line ? s.line : p.line, &p - cfg.plans.data(), s.interface));
    }
  return lines;
}

}  // namespace

int run_usage(const UsageOptions& o, std::ostream& out, std::ostream& err) {
  if (o.config.empty()) {
    err << "reach usage: --config FILE is required (see reach usage --help)\n";
    return 2;
  }
  auto text = sys::read_input_file(o.config);
  if (!text) {
    err << "reach usage: " << text.error().message() << '\n';
    return 2;
  }
  auto cfg = config::parse_usage_config(*text, o.config);
  if (!cfg) {
    err << cfg.error().message() << '\n';
    return 2;
  }
  if (!o.unblock.empty() && !o.validate) return unblock(*cfg, o.unblock, out, err);
  if (o.db && o.db->empty()) {
    err << "reach usage: --db: must name a file (SQLite), not be empty\n";
    return 2;
  }
  if (o.db) cfg->db = *o.db;
  if (auto problems = setup_problems(o.config, *cfg, o.validate || o.daemon); !problems.empty()) {
    for (const std::string& p : problems) err << p << '\n';
    return 2;
  }
  if (o.validate || o.daemon)
    for (const std::string& w : interface_warnings(o.config, *cfg)) err << w << '\n';
  if (o.validate) {
    out << "reach usage: " << o.config << ": ok\n";
    return 0;
  }
  if (o.daemon) return daemon(*cfg, out, err);
  return usage::report(o, *cfg, out, err);
}

}  // namespace reach::tools
