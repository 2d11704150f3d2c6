// The `reach guard` daemon: sources -> rules -> threshold engine -> nftables batches, on one
// io::Reactor. A flush is posted when a line decides a ban, so it runs at the end of the turn
// that read the line: one transaction for every ban a burst of lines decided, within a few ms.
#include <fmt/format.h>
#include <linux/capability.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <sstream>

#include "format/guard_json.hpp"
#include "format/prom_exposition.hpp"
#include "io/daemon_signals.hpp"
#include "io/http_server.hpp"
#include "io/journal.hpp"
#include "io/log_follow.hpp"
#include "io/nft_sets.hpp"
#include "io/reactor.hpp"
#include "store/store.hpp"
#include "sys/caps.hpp"
#include "sys/daemon_privs.hpp"
#include "sys/log_file.hpp"
#include "sys/file_lock.hpp"
#include "sys/limits.hpp"
#include "sys/own_addresses.hpp"
#include "tools/guard/countries.hpp"
#include "tools/guard/setup.hpp"
#include "tools/notify/outbox_sender.hpp"
#include "tools/watch/daemon.hpp"
#include "tools/watch/payloads.hpp"

namespace reach::tools::guard {

namespace {

std::string position_text(const io::LogPosition& p) { return fmt::format("{}:{}:{}", p.dev, p.ino, p.offset); }

std::optional<io::LogPosition> parse_position(std::string_view s) {
  io::LogPosition p;
  std::uint64_t* f[3] = {&p.dev, &p.ino, &p.offset};
  for (int i = 0; i < 3; ++i) {
    auto colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    if (std::from_chars(part.data(), part.data() + part.size(), *f[i]).ec != std::errc()) return std::nullopt;
    if (i < 2 && colon == std::string_view::npos) return std::nullopt;
    s.remove_prefix(colon == std::string_view::npos ? s.size() : colon + 1);
  }
  return p;
}

std::string host_name() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? buf : "localhost";
}

class Daemon {
 public:
  Daemon(io::Reactor& loop, const GuardOptions& o, Setup s, std::ostream& out, std::ostream& err)
      : loop_(loop), o_(o), s_(std::move(s)), out_(out), err_(err), decider_(s_.policy) {
    decider_.set_own(s_.own);
  }
  ~Daemon() {
    if (tick_timer_) loop_.cancel(tick_timer_);
  }

  Result<void> start();
  void stop();
  void reload();

 private:
  struct Source {
    config::GuardSource cfg;
    std::vector<int> which;
    std::string key;
    std::unique_ptr<io::LogFollower> file;
    std::unique_ptr<io::JournalFollower> journal;
    std::string saved;
    std::uint64_t lines = 0;
    std::uint64_t unparsed = 0;  // lines the relay rule refused (not JSON, forged)
  };

  void log(const std::string& line) { out_ << "guard: " << line << '\n' << std::flush; }
  void error(const std::string& line) { err_ << "reach guard: " << line << '\n' << std::flush; }
  Result<void> open_sources(const std::map<std::string, std::string>& positions);
  // The source `c` reads from (the default auth.log falls back to the journal) and its key.
  config::GuardSource effective(const config::GuardSource& c, bool say);
  static std::string key_of(const config::GuardSource& c) {
    return c.kind == config::GuardSource::Kind::file ? "file:" + c.path : "journal:" + c.unit;
  }
  Result<std::unique_ptr<Source>> open_source(const config::GuardSource& c, const std::map<std::string, std::string>& positions);
  void on_line(Source& src, std::string_view line, std::string_view program);
  void schedule_flush();
  void flush();
  bool insert(const std::vector<io::Ban>& bans, const char* what);
  void tick();
  void take_requests();
  void check_table();
  void save(store::GuardUpdate u);
  void notify(const std::vector<model::GuardBan>& bans);
  std::string metrics() const;
  std::string position_of(const Source& s) const {
    return s.file ? position_text(s.file->position()) : s.journal ? s.journal->cursor() : std::string();
  }
  store::GuardBanRow row_of(const model::GuardBan& b) const {
    return {b.prefix.to_string(), b.at + s_.wall_offset, b.duration, b.until + s_.wall_offset, b.offence,
            static_cast<int>(b.origin), b.rule, b.form, b.reason};
  }

  io::Reactor& loop_;
  const GuardOptions& o_;
  Setup s_;
  std::ostream& out_;
  std::ostream& err_;
  engine::GuardDecider decider_;
  std::unique_ptr<store::GuardStore> store_;
  sys::Fd state_lock_;  // one guard daemon per state file (sys::lock_for_daemon)
  std::unique_ptr<store::Store> outbox_;
  std::unique_ptr<notify::OutboxSender> sender_;
  std::optional<io::NftSets> nft_;
  std::unique_ptr<io::HttpServer> http_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<io::Ban> retry_;  // a batch the kernel refused, tried again every second
  bool flush_posted_ = false;
  io::Reactor::TimerId tick_timer_ = 0;
  std::size_t table_bytes_ = 0;  // the engine's, at the last tick
  std::uint64_t ticks_ = 0;
  // Metrics.
  std::map<std::pair<std::string, std::string>, std::uint64_t> matches_;  // (rule, form)
  std::map<std::string, std::uint64_t> bans_by_origin_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> bans_by_country_;  // (country, origin)
  std::uint64_t country_allowed_ = 0;
  std::uint64_t unbans_ = 0, refused_ = 0, nft_errors_ = 0, batches_ = 0, recreated_ = 0;
  std::uint64_t reloads_ = 0, reload_failures_ = 0;
  double last_latency_ = 0, max_latency_ = 0;
  TimeNs last_batch_ = 0;  // libnftables is unloaded cfg.nft_idle after the last batch
  // A failure that repeats at every retry (a foreign table in the way) is said once and then
  // every kNftErrorEvery, not every second: each line with when it was last said.
  static constexpr TimeNs kNftErrorEvery = 10 * kNsPerSec;
  std::map<std::string, TimeNs> nft_errors_said_;
  void nft_error(const std::string& line);
};

Result<void> Daemon::start() {
  const bool dry = o_.dry_run;
  // A guard that could never ban (an unprivileged user) fails before its lock and state file
  // are made: it used to create them and then fail at the first nftables call.
  if (!dry)
    if (auto p = io::NftCtx::permitted("nftables", "inet " + o_.table); !p) return tl::unexpected(p.error());
  // Before anything is written: a notifier that could never send fails the start.
  if (!dry && s_.cfg.db && !s_.cfg.notify.empty())
    if (auto l = notify::load_notifier_libraries(s_.cfg.notifiers); !l) return tl::unexpected(l.error());
  // The state: read-only in a dry run (and only when it exists), so it writes nothing anywhere.
  std::map<std::string, std::string> positions;
  std::vector<store::GuardBanRow> rows;
  {
    store::GuardStoreOptions so;
    so.path = s_.state_path;
    so.read_only = dry;
    if (!dry) {
      auto lock = sys::lock_for_daemon(so.path, "guard");
      if (!lock) return tl::unexpected(lock.error());
      state_lock_ = std::move(*lock);
    }
    auto st = store::GuardStore::open(so);
    if (!st && !dry) return tl::unexpected(st.error());
    if (st) {
      store_ = std::move(*st);
      auto r = store_->bans();
      if (!r) return tl::unexpected(r.error());
      rows = std::move(*r);
      auto p = store_->positions();
      if (!p) return tl::unexpected(p.error());
      positions = std::move(*p);
    }
    if (dry) store_.reset();
  }
  const TimeNs now = loop_.refresh_now();
  std::vector<model::GuardBan> restored;
  decider_ = decider_with_saved_bans(s_, rows, now, &restored);
  if (!dry) {
    io::NftLayout layout;
    layout.table = o_.table;
    auto nft = io::NftSets::open(layout);
    if (!nft) return tl::unexpected(nft.error());
    nft_ = std::move(*nft);
    nft_->set_allow_list(never_ban(s_));
    if (auto e = nft_->ensure(); !e) return tl::unexpected(e.error());
    std::vector<io::Ban> again;
    for (const auto& b : restored) again.push_back({b.prefix, b.until - now});
    if (!again.empty() && insert(again, "restore")) log(fmt::format("{} saved bans re-applied", again.size()));
    nft_->release();  // libnftables is loaded again by the first batch (io/nft_ctx.hpp)
    if (auto p = store_->prune(now + s_.wall_offset); !p) error(p.error().message());
    if (s_.cfg.db && !s_.cfg.notify.empty()) {
      store::Options so;
      so.path = *s_.cfg.db;
      auto ob = store::Store::open(so);
      if (!ob) return tl::unexpected(ob.error());
      outbox_ = std::move(*ob);
      config::WatchConfig nc;
      nc.notifiers = s_.cfg.notifiers;
      auto pw = watch::read_mail_passwords(nc);
      if (!pw) return tl::unexpected(pw.error());
      notify::OutboxSender::Hooks h;
      h.find = [this](std::string_view name) -> const config::Notifier* {
        for (const auto& n : s_.cfg.notifiers)
          if (n.name == name) return &n;
        return nullptr;
      };
      h.password = [pw = *pw](std::string_view name) {
        auto it = pw.find(std::string(name));
        return it != pw.end() ? it->second : std::string();
      };
      h.error = [this](const std::string& l) { error(l); };
      sender_ = std::make_unique<notify::OutboxSender>(loop_, *outbox_, std::move(h));
    }
  }
  if (auto r = open_sources(positions); !r) return r;
  if (!o_.listen.empty()) {
    io::HttpServerOptions ho;
    ho.listen = {o_.listen};
    auto h = io::HttpServer::start(loop_, ho);
    if (!h) return tl::unexpected(h.error());
    http_ = std::move(*h);
    http_->route("GET", "/metrics", [this](const io::HttpServerRequest&, io::HttpReply reply) {
      reply.send({200, std::string(format::prom::kContentTypeText), {}, metrics()});
    });
  }
  // Everything is open: only CAP_NET_ADMIN stays (each batch is a netlink transaction); a dry run
  // keeps nothing. Uid 0 still reads root's logs and the journal (it owns them).
  auto privs = dry ? sys::drop_all_capabilities() : sys::keep_only_capabilities({CAP_NET_ADMIN});
  if (!privs) return tl::unexpected(privs.error());
  for (const auto& a : s_.policy.allow)
    if (a.label != "allow") log(fmt::format("never banned: {} ({})", a.prefix.to_string(), a.label));
  log(fmt::format("{} {} source{}, {} failures within {} ban for {}{}; state in {}", dry ? "dry run: watching" : "watching",
                  sources_.size(), sources_.size() == 1 ? "" : "s", s_.policy.failures, format::guard_duration(s_.policy.window),
                  format::guard_duration(s_.policy.ban_time), dry ? " (nothing is inserted)" : " in table inet " + o_.table,
                  s_.state_path));
  if (auto c = country_rules_line(s_); !c.empty()) log(c);
  tick_timer_ = loop_.after(kNsPerSec, [this] { tick(); });
  if (sender_) sender_->pump();
  return {};
}

config::GuardSource Daemon::effective(const config::GuardSource& c, bool say) {
  config::GuardSource e = c;
  // Debian 12 has no /var/log/auth.log unless rsyslog is installed: sshd logs to the journal
  // only (fail2ban's sshd jail dies at start there). That default path falls back to it.
  if (c.kind == config::GuardSource::Kind::file && c.path == "/var/log/auth.log" && !sys::stat_path(c.path)) {
    if (say) log("/var/log/auth.log does not exist: reading sshd from the journal (ssh.service) instead");
    e.kind = config::GuardSource::Kind::journal;
    e.unit = "ssh.service";
  }
  return e;
}

Result<void> Daemon::open_sources(const std::map<std::string, std::string>& positions) {
  for (const config::GuardSource& c : s_.cfg.sources) {
    auto src = open_source(effective(c, true), positions);
    if (!src) return tl::unexpected(src.error());
    sources_.push_back(std::move(*src));
  }
  return {};
}

Result<std::unique_ptr<Daemon::Source>> Daemon::open_source(const config::GuardSource& c,
                                                            const std::map<std::string, std::string>& positions) {
  auto src = std::make_unique<Source>();
  src->cfg = c;
  src->key = key_of(c);
  for (const std::string& r : c.rules)
    if (int i = s_.rules.find(r); i >= 0) src->which.push_back(i);
  Source* raw = src.get();
  if (c.kind == config::GuardSource::Kind::file) {
    io::LogFollowOptions lo;
    lo.path = c.path;
    // Lines are matched as they are read: a smaller read per turn lets a burst's bans go out
    // while the rest of it is still being read.
    lo.max_bytes_per_turn = std::size_t{1} << 20;
    if (auto it = positions.find(src->key); it != positions.end()) lo.start = parse_position(it->second);
    io::LogFollowHooks h;
    h.line = [this, raw](std::string_view l) { on_line(*raw, l, {}); };
    h.note = [this](const std::string& n) { log(n); };
    auto f = io::LogFollower::create(loop_, lo, std::move(h));
    if (!f) return tl::unexpected(f.error());
    src->file = std::move(*f);
  } else {
    io::JournalOptions jo;
    jo.unit = c.unit;
    if (jo.unit == "ssh.service" || jo.unit == "sshd.service" || jo.unit == "ssh" || jo.unit == "sshd") {
      if (jo.unit.find('.') == std::string::npos) jo.unit += ".service";
      jo.identifiers = {"sshd"};
    }
    if (const char* d = std::getenv("REACH_GUARD_JOURNAL_DIR"); d && *d) jo.directory = d;  // tests, copied journals
    if (auto it = positions.find(src->key); it != positions.end()) jo.cursor = it->second;
    io::JournalHooks h;
    h.line = [this, raw](std::string_view m, std::string_view ident) { on_line(*raw, m, ident); };
    h.note = [this](const std::string& n) { log(n); };
    auto j = io::JournalFollower::create(loop_, jo, std::move(h));
    if (!j) return tl::unexpected(j.error());
    src->journal = std::move(*j);
  }
  src->saved = position_of(*src);
  return src;
}

void Daemon::on_line(Source& src, std::string_view line, std::string_view program) {
  ++src.lines;
  bool unparsed = false;
  auto m = s_.rules.match(line, src.which, program, &unparsed);
  if (!m) {
    if (unparsed) ++src.unparsed;
    return;
  }
  ++matches_[{m->rule, m->form}];
  // The clock read per matched line (vDSO, ~20 ns): a ban's time is its deciding line's, and
  // the latency logged per batch runs from there to the kernel.
  const auto r = decider_.record(*m, loop_.refresh_now());
  if (r == engine::GuardRecord::banned) schedule_flush();
  else if (r == engine::GuardRecord::country_allowed) ++country_allowed_;
}

void Daemon::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  loop_.post([this] { flush(); });
}

bool Daemon::insert(const std::vector<io::Ban>& bans, const char* what) {
  last_batch_ = loop_.now();
  auto r = nft_->add(bans);
  if (!r) {
    // Someone deleted our table or a set: make it again and insert this batch with every active
    // ban, which the deleted sets held (the 5 s check_table() may not have seen it gone yet).
    ++nft_errors_;
    if (auto e = nft_->ensure(); !e) {
      nft_error("nftables: " + e.error().message() + " (the bans are tried again every second)");
      retry_.insert(retry_.end(), bans.begin(), bans.end());
      return false;
    }
    ++recreated_;
    const TimeNs now = loop_.now();
    std::vector<io::Ban> all = bans;
    std::set<IpPrefix> batch;
    for (const io::Ban& b : bans) batch.insert(b.prefix);
    for (const auto& b : decider_.active_bans(now))
      if (!batch.count(b.prefix)) all.push_back({b.prefix, b.until - now});
    nft_error(fmt::format("nftables {}: {}: table inet {} made again, inserting this batch with the {} other active ban{}",
                          what, r.error().message(), o_.table, all.size() - bans.size(),
                          all.size() - bans.size() == 1 ? "" : "s"));
    r = nft_->add(all);
    if (!r) {
      nft_error("nftables: " + r.error().message() + " (the bans are tried again every second)");
      retry_.insert(retry_.end(), bans.begin(), bans.end());
      return false;
    }
  }
  ++batches_;
  if (r->allowed > 0) {
    refused_ += r->allowed;
    error(fmt::format("{} bans refused at insert: they overlap the allow-list", r->allowed));
  }
  return true;
}

void Daemon::flush() {
  flush_posted_ = false;
  std::vector<model::GuardBan> bans = decider_.take_bans();
  if (bans.empty()) return;
  std::vector<io::Ban> kb;
  kb.reserve(bans.size());
  for (const auto& b : bans) kb.push_back({b.prefix, b.duration});
  const TimeNs t0 = loop_.refresh_now();
  const bool ok = o_.dry_run || insert(kb, "insert");
  const TimeNs done = loop_.refresh_now();
  double max_ms = 0;
  for (const auto& b : bans) {
    const double ms = static_cast<double>(done - b.at) / kNsPerMs;
    max_ms = std::max(max_ms, ms);
    ++bans_by_origin_[format::guard_origin_word(b.origin)];
    if (!b.country.empty()) ++bans_by_country_[{b.country, format::guard_origin_word(b.origin)}];
    if (o_.dry_run || o_.json) out_ << format::guard_ban_json(b, s_.wall_offset, o_.dry_run, ms);
  }
  last_latency_ = max_ms / 1000;
  max_latency_ = std::max(max_latency_, last_latency_);
  if (!o_.dry_run && !o_.json) {
    const std::size_t shown = std::min<std::size_t>(bans.size(), 20);
    for (std::size_t i = 0; i < shown; ++i) log(format::guard_ban_line(bans[i]));
    if (bans.size() > shown) log(fmt::format("... and {} more bans", bans.size() - shown));
  }
  if (!o_.dry_run)
    log(fmt::format("batch: {} ban{} in one transaction{}, {:.1f} ms after the deciding line ({:.1f} ms in nftables)",
                    bans.size(), bans.size() == 1 ? "" : "s", ok ? "" : " (failed, retried every second)", max_ms,
                    static_cast<double>(done - t0) / kNsPerMs));
  if (o_.dry_run) return out_.flush(), void();
  store::GuardUpdate u;
  for (const auto& b : bans) u.bans.push_back(row_of(b));
  save(std::move(u));
  notify(bans);
}

void Daemon::save(store::GuardUpdate u) {
  if (!store_) return;
  for (auto& src : sources_) {
    std::string p = position_of(*src);
    if (!p.empty() && p != src->saved) u.positions[src->key] = p;
  }
  if (auto c = store_->commit(u); !c) {
    error(c.error().message() + " (the bans are in the kernel; saved again at the next change)");
    return;
  }
  for (auto& src : sources_)
    if (auto it = u.positions.find(src->key); it != u.positions.end()) src->saved = it->second;
}

void Daemon::notify(const std::vector<model::GuardBan>& bans) {
  if (!outbox_ || s_.cfg.notify.empty() || bans.empty()) return;
  model::WatchEvent e;
  e.kind = model::WatchEvent::Kind::firing;
  e.wall = e.since_wall = bans.front().at + s_.wall_offset;
  e.target = "guard";
  e.alert = "guard_ban";
  std::string text = fmt::format("banned {} source{}:", bans.size(), bans.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < bans.size() && i < 10; ++i) text += " " + format::guard_ban_line(bans[i]) + ";";
  if (bans.size() > 10) text += fmt::format(" and {} more", bans.size() - 10);
  e.reason = std::move(text);
  watch::AlertContext ctx;
  ctx.instance = host_name();
  ctx.probe = "guard";
  for (const std::string& name : s_.cfg.notify) {
    auto n = std::find_if(s_.cfg.notifiers.begin(), s_.cfg.notifiers.end(), [&](const auto& x) { return x.name == name; });
    if (n == s_.cfg.notifiers.end()) continue;
    if (auto item = outbox_->enqueue(name, watch::notifier_payload(*n, e, ctx), e.wall); !item)
      error("outbox: " + item.error().message());
  }
  if (sender_) sender_->pump();
}

void Daemon::take_requests() {
  if (!store_) return;
  auto reqs = store_->take_requests();
  if (!reqs) return error(reqs.error().message());
  const TimeNs now = loop_.now();
  for (const store::GuardRequest& r : *reqs) {
    auto p = parse_prefix(r.prefix);
    if (!p) continue;
    if (r.action == "unban") {
      if (decider_.unban(*p, now)) {
        ++unbans_;
        log("unban " + p->to_string() + " (reach guard --unban)");
        if (o_.json) out_ << format::guard_unban_json({*p, now, true}, s_.wall_offset) << std::flush;
      }
    } else if (r.action == "ban") {
      // Inserted by the process that asked; the engine learns of it (the allow-list again).
      if (auto b = decider_.ban(*p, now, r.duration); !b) error(b.error().message());
    }
  }
}

void Daemon::nft_error(const std::string& line) {
  const TimeNs now = loop_.now();
  if (nft_errors_said_.size() > 16) nft_errors_said_.clear();  // a few distinct lines at a time
  auto [it, fresh] = nft_errors_said_.try_emplace(line, now);
  if (!fresh && now - it->second < kNftErrorEvery) return;
  it->second = now;
  error(line);
}

void Daemon::check_table() {
  auto there = nft_->installed();
  if (!there) return nft_error("nftables: " + there.error().message());
  if (*there) return;
  const TimeNs now = loop_.now();
  std::vector<io::Ban> all;
  for (const auto& b : decider_.active_bans(now)) all.push_back({b.prefix, b.until - now});
  nft_error(fmt::format("table inet {} is gone (deleted from outside): recreating it and inserting the {} active ban{} again",
                        o_.table, all.size(), all.size() == 1 ? "" : "s"));
  if (auto e = nft_->ensure(); !e) return nft_error("nftables: " + e.error().message());
  ++recreated_;
  if (!all.empty()) insert(all, "re-insert");
}

void Daemon::tick() {
  tick_timer_ = loop_.after(kNsPerSec, [this] { tick(); });
  ++ticks_;
  const TimeNs now = loop_.refresh_now();
  store::GuardUpdate u;
  for (const model::GuardUnban& x : decider_.expire(now)) {
    ++unbans_;
    u.removed.push_back(x.prefix.to_string());
    if (o_.json || o_.dry_run) out_ << format::guard_unban_json(x, s_.wall_offset) << std::flush;
  }
  // The engine's tables grew: the arrays they outgrew are free heap amid live blocks, which glibc
  // keeps resident unless asked (100k sources: 9.4 MiB VmRSS, not 10.9). Not mallopt's
  // M_MMAP_THRESHOLD: libnftables' reload before a batch would then fault in fresh pages (+1 ms).
  if (const std::size_t bytes = decider_.table_bytes(); bytes != table_bytes_) {
    table_bytes_ = bytes;
    sys::release_free_heap();
  }
  if (!u.removed.empty() && !o_.json && !o_.dry_run)
    log(fmt::format("{} ban{} ran out (the kernel dropped the element{} by itself)", u.removed.size(),
                    u.removed.size() == 1 ? "" : "s", u.removed.size() == 1 ? "" : "s"));
  if (o_.dry_run) return;
  take_requests();
  if (!retry_.empty()) {
    std::vector<io::Ban> again = std::move(retry_);
    retry_.clear();
    if (insert(again, "retry"))
      log(fmt::format("{} ban{} inserted after a failed batch", again.size(), again.size() == 1 ? "" : "s"));
  }
  if (ticks_ % 5 == 0) check_table();
  if (ticks_ % 30 == 0) {
    if (auto own = sys::own_addresses(); own && *own != s_.own) {
      s_.own = std::move(*own);
      decider_.set_own(s_.own);
      nft_->set_allow_list(never_ban(s_));
      std::vector<IpPrefix> drop = decider_.allowed_bans();
      if (!drop.empty()) (void)nft_->remove(drop);
    }
  }
  // The table checks above load libnftables for a moment; only a batch keeps it for nft_idle.
  if (nft_->loaded() && now - last_batch_ >= s_.cfg.nft_idle) nft_->release();
  save(std::move(u));
}

// SIGHUP: the file read and checked again, as at start. A file with errors changes nothing (one
// line names the first error); a good one replaces the rules, sources, thresholds and allow-list
// in this turn, keeping the bans in force, the counts (GuardDecider::set_policy) and each kept
// source's follower and position. The state file and the notifiers stay as started.
void Daemon::reload() {
  Setup next;
  std::ostringstream why;
  if (!load_setup(o_, next, why)) {
    std::string text = why.str();
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const auto errors = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    std::string first = text.substr(0, text.find('\n'));
    if (errors > 1) first += fmt::format(" (and {} more: reach guard --config {} --validate lists them)", errors - 1, o_.config);
    ++reload_failures_;
    return error("SIGHUP: config not applied, the running one stays: " + first);
  }
  // Sources: the kept ones (by what they read) carry on; new ones open before anything changes.
  std::map<std::string, std::string> positions;
  if (store_)
    if (auto p = store_->positions()) positions = std::move(*p);
  auto kept = [this](const std::string& key) {
    return std::find_if(sources_.begin(), sources_.end(), [&](const auto& x) { return x->key == key; });
  };
  std::map<std::string, std::unique_ptr<Source>> opened;
  std::swap(s_.rules, next.rules);  // open_source resolves rule names against the new rules
  for (const config::GuardSource& c : next.cfg.sources) {
    const config::GuardSource e = effective(c, false);
    if (kept(key_of(e)) != sources_.end() || opened.count(key_of(e))) continue;
    auto src = open_source(e, positions);
    if (!src) {
      std::swap(s_.rules, next.rules);
      ++reload_failures_;
      return error("SIGHUP: config not applied, the running one stays: " + src.error().message());
    }
    opened[key_of(e)] = std::move(*src);
  }
  const std::size_t added = opened.size();
  save({});  // the positions of the sources that go
  std::vector<std::unique_ptr<Source>> fresh;
  for (const config::GuardSource& c : next.cfg.sources) {
    const std::string key = key_of(effective(c, false));
    std::unique_ptr<Source> src;
    if (auto k = kept(key); k != sources_.end()) src = std::move(*k), sources_.erase(k);
    else if (auto o = opened.find(key); o != opened.end()) src = std::move(o->second), opened.erase(o);
    else continue;  // named twice: the parser refuses that already
    src->cfg.rules = c.rules;
    src->which.clear();
    for (const std::string& r : c.rules)
      if (int i = s_.rules.find(r); i >= 0) src->which.push_back(i);
    fresh.push_back(std::move(src));
  }
  const std::size_t removed = sources_.size();
  sources_ = std::move(fresh);
  std::vector<std::string> later;  // what only a restart applies
  if (next.state_path != s_.state_path) later.push_back("state");
  if (next.cfg.db != s_.cfg.db) later.push_back("db");
  auto names = [](const config::GuardConfig& c) {
    std::vector<std::string> n = c.notify;
    for (const auto& x : c.notifiers) n.push_back(x.name);
    return n;
  };
  if (names(next.cfg) != names(s_.cfg)) later.push_back("notify/notifiers");
  next.cfg.db = s_.cfg.db;
  next.cfg.state = s_.cfg.state;
  next.cfg.notify = s_.cfg.notify;
  next.cfg.notifiers = s_.cfg.notifiers;
  s_.cfg = std::move(next.cfg);
  s_.policy = std::move(next.policy);
  s_.ssh_client = next.ssh_client;
  s_.country_files = std::move(next.country_files);
  s_.country_skipped = std::move(next.country_skipped);
  s_.country_note = std::move(next.country_note);
  s_.own = std::move(next.own);
  decider_.set_policy(s_.policy);
  decider_.set_own(s_.own);
  // Bans the new allow-list covers are lifted, in the kernel and the state file.
  const TimeNs now = loop_.refresh_now();
  store::GuardUpdate u;
  std::vector<IpPrefix> lift = decider_.allowed_bans();
  for (const IpPrefix& p : lift) {
    decider_.unban(p, now);
    ++unbans_;
    u.removed.push_back(p.to_string());
    if (o_.json || o_.dry_run) out_ << format::guard_unban_json({p, now, true}, s_.wall_offset) << std::flush;
    else log("unban " + p.to_string() + " (the new allow-list covers it)");
  }
  if (nft_) {
    nft_->set_allow_list(never_ban(s_));
    if (!lift.empty())
      if (auto r = nft_->remove(lift); !r) error("nftables: " + r.error().message());
  }
  if (!o_.dry_run) save(std::move(u));
  ++reloads_;
  log(fmt::format("SIGHUP: {} applied: {} source{} ({} new, {} gone), {} failures within {} ban for {}, {} allow-list "
                  "entr{}; {} bans in force kept{}",
                  o_.config, sources_.size(), sources_.size() == 1 ? "" : "s", added, removed, s_.policy.failures,
                  format::guard_duration(s_.policy.window), format::guard_duration(s_.policy.ban_time), s_.cfg.allow.size(),
                  s_.cfg.allow.size() == 1 ? "y" : "ies", decider_.stats().bans,
                  later.empty() ? "" : fmt::format("; {} changed: applied at the next start", fmt::join(later, ", "))));
  if (auto c = country_rules_line(s_); !c.empty()) log("SIGHUP: " + c);
}

void Daemon::stop() {
  auto finish = [this] {
    flush();
    save({});
    if (store_) (void)store_->checkpoint();
    loop_.stop();
  };
  if (!sender_) return finish();
  sender_->drain(notify::OutboxSender::kStopWait, finish);
}

std::string Daemon::metrics() const {
  namespace prom = format::prom;
  std::vector<prom::Family> f;
  prom::Family lines{"reach_guard_lines_read", prom::Type::counter, "Log lines (journal entries) read, by source.", {}};
  for (const auto& s : sources_) lines.samples.push_back({{{"source", s->key}}, static_cast<double>(s->lines)});
  f.push_back(std::move(lines));
  prom::Family unparsed{"reach_guard_lines_unparsed", prom::Type::counter,
                        "Lines the relay rule refused (not JSON, or a forged event), by source.", {}};
  for (const auto& s : sources_) unparsed.samples.push_back({{{"source", s->key}}, static_cast<double>(s->unparsed)});
  f.push_back(std::move(unparsed));
  prom::Family m{"reach_guard_matches", prom::Type::counter, "Lines a rule matched, by rule and form.", {}};
  for (const auto& [k, v] : matches_) m.samples.push_back({{{"rule", k.first}, {"form", k.second}}, static_cast<double>(v)});
  f.push_back(std::move(m));
  prom::Family b{"reach_guard_bans", prom::Type::counter, "Bans inserted, by origin.", {}};
  for (const auto& [k, v] : bans_by_origin_) b.samples.push_back({{{"origin", k}}, static_cast<double>(v)});
  f.push_back(std::move(b));
  prom::Family bc{"reach_guard_country_bans", prom::Type::counter, "Bans of sources the country rules located, by country and origin.", {}};
  for (const auto& [k, v] : bans_by_country_) bc.samples.push_back({{{"country", k.first}, {"origin", k.second}}, static_cast<double>(v)});
  f.push_back(std::move(bc));
  f.push_back({"reach_guard_country_allowed", prom::Type::counter, "Failures not counted: the source's country is on countries.allow.", {{{}, static_cast<double>(country_allowed_)}}});
  f.push_back({"reach_guard_country_rules_active", prom::Type::gauge, "1 when country rules are configured and a database is in use.", {{{}, s_.policy.country_of ? 1.0 : 0.0}}});
  f.push_back({"reach_guard_unbans", prom::Type::counter, "Bans that ran out or were lifted.", {{{}, static_cast<double>(unbans_)}}});
  f.push_back({"reach_guard_refused", prom::Type::counter, "Bans refused at insert by the allow-list.", {{{}, static_cast<double>(refused_)}}});
  f.push_back({"reach_guard_nft_batches", prom::Type::counter, "nftables transactions of bans.", {{{}, static_cast<double>(batches_)}}});
  f.push_back({"reach_guard_nft_errors", prom::Type::counter, "nftables batches the kernel refused.", {{{}, static_cast<double>(nft_errors_)}}});
  f.push_back({"reach_guard_reloads", prom::Type::counter, "SIGHUP reloads, applied or refused (the config had errors).",
               {{{{"result", "ok"}}, static_cast<double>(reloads_)}, {{{"result", "failed"}}, static_cast<double>(reload_failures_)}}});
  f.push_back({"reach_guard_table_recreated", prom::Type::counter, "Times our table or a set was found deleted and recreated.", {{{}, static_cast<double>(recreated_)}}});
  const auto st = decider_.stats();
  f.push_back({"reach_guard_active_bans", prom::Type::gauge, "Bans in force.", {{{}, static_cast<double>(st.bans)}}});
  f.push_back({"reach_guard_tracked_sources", prom::Type::gauge, "Sources (prefixes) with failures in the window.", {{{}, static_cast<double>(st.sources)}}});
  f.push_back({"reach_guard_engine_bytes", prom::Type::gauge, "Heap bytes of the threshold engine's tables.", {{{}, static_cast<double>(st.bytes)}}});
  f.push_back({"reach_guard_ban_latency_seconds", prom::Type::gauge, "From the deciding line to its batch in the kernel: the last batch.", {{{}, last_latency_}}});
  f.push_back({"reach_guard_ban_latency_max_seconds", prom::Type::gauge, "From the deciding line to its batch in the kernel: the slowest batch.", {{{}, max_latency_}}});
  auto body = prom::render(f, prom::Format::text);
  return body ? *body : "# " + body.error().message() + "\n";
}

}  // namespace

int run_daemon(const GuardOptions& o, Setup s, std::ostream& out, std::ostream& err) {
  auto reactor = io::Reactor::create();
  if (!reactor) return (err << "reach guard: " << reactor.error().message() << '\n'), 2;
  io::Reactor& loop = **reactor;
  Daemon d(loop, o, std::move(s), out, err);
  // Taken before start() logs that it is watching: a signal from then on is the loop's to handle.
  // guard always has a config file (--config is required): SIGHUP always reloads it.
  if (auto r = io::handle_daemon_signals(loop, {"reach guard", [&d] { d.stop(); }, [&d] { d.reload(); }, {}}); !r)
    return (err << "reach guard: " << r.error().message() << '\n'), 2;
  if (auto r = d.start(); !r) {
    err << "reach guard: " << r.error().message() << '\n';
    return 2;
  }
  if (auto r = loop.run(); !r) return (err << "reach guard: " << r.error().message() << '\n'), 2;
  return 0;
}

}  // namespace reach::tools::guard
