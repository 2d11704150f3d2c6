#include "tools/guard/guard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/values.hpp"
#include "format/guard_json.hpp"
#include "format/wall_time.hpp"
#include "io/nft_sets.hpp"
#include "sys/clock.hpp"
#include "sys/input_file.hpp"
#include "sys/own_addresses.hpp"
#include "tools/guard/countries.hpp"
#include "tools/guard/setup.hpp"

namespace reach::tools {

namespace guard {

std::optional<IpAddr> ssh_client_address() {
  const char* v = std::getenv("SSH_CONNECTION");
  if (!v || !*v) return std::nullopt;
  std::string_view s(v);
  return IpAddr::parse(s.substr(0, s.find(' ')));
}

bool load_setup(const GuardOptions& o, Setup& s, std::ostream& err) {
  auto text = sys::read_input_file(o.config);
  if (!text) {
    err << "reach guard: " << text.error().message() << '\n';
    return false;
  }
  auto loaded = engine::load_guard(*text, o.config);
  if (!loaded) {
    err << loaded.error().message() << '\n';
    return false;
  }
  s.cfg = std::move(loaded->config);
  s.rules = std::move(loaded->rules);
  s.policy = engine::guard_policy(s.cfg);
  if (!o.no_allow_ssh_client && s.cfg.allow_ssh_client) {
    s.ssh_client = ssh_client_address();
    if (s.ssh_client) s.policy.allow.push_back({prefix_of(unmap_v4(*s.ssh_client), s.ssh_client->is_v4() ? 32 : 128), "ssh session"});
  }
  if (auto own = sys::own_addresses()) s.own = std::move(*own);
  s.state_path = !o.state.empty() ? o.state : s.cfg.state ? *s.cfg.state : s.cfg.db ? *s.cfg.db : kDefaultState;
  s.wall_offset = sys::WallClock().now() - sys::MonotonicClock().now();
  open_country_rules(s);
  return true;
}

std::vector<IpPrefix> never_ban(const Setup& s) {
  std::vector<IpPrefix> out;
  for (const auto& a : s.policy.allow) out.push_back(a.prefix);
  for (const IpAddr& a : s.own) out.push_back(prefix_of(a, a.is_v4() ? 32 : 128));
  return out;
}

model::GuardBan ban_of(const store::GuardBanRow& r, TimeNs wall_offset) {
  model::GuardBan b;
  b.prefix = parse_prefix(r.prefix).value_or(IpPrefix{});
  b.at = r.at_wall - wall_offset;
  b.until = r.until_wall - wall_offset;
  b.duration = r.duration;
  b.offence = r.offence;
  b.rule = r.rule;
  b.form = r.form;
  b.reason = r.reason;
  b.origin = static_cast<model::GuardBanOrigin>(r.origin);
  return b;
}

engine::GuardDecider decider_with_saved_bans(const Setup& s, const std::vector<store::GuardBanRow>& rows, TimeNs now,
                                             std::vector<model::GuardBan>* restored) {
  engine::GuardDecider d(s.policy);
  d.set_own(s.own);
  for (const store::GuardBanRow& r : rows) {
    if (!parse_prefix(r.prefix)) continue;
    model::GuardBan b = ban_of(r, s.wall_offset);
    b.origin = model::GuardBanOrigin::restored;
    if (restored) b.reason.clear();  // the daemon: a reason per ban would only take memory
    if (b.until <= now) continue;
    if (d.restore(b, now) && restored) restored->push_back(b);
  }
  return d;
}

}  // namespace guard

namespace {

using guard::Setup;

// ADDR or ADDR/N; a bare address is taken as the prefix failures of it are banned under. On
// failure `why` says what is wrong, as every prefix argument does (a prefix with host bits set
// names the one meant).
std::optional<IpPrefix> parse_target(const std::string& text, const Setup& s, bool bare_as_ban_prefix, std::string& why) {
  auto a = text.find('/') == std::string::npos ? IpAddr::parse(text) : std::nullopt;
  if (!a) {
    auto p = parse_prefix(text);
    if (!p) why = prefix_error(text);
    return p;
  }
  const IpAddr u = unmap_v4(*a);
  if (!bare_as_ban_prefix) return prefix_of(u, u.is_v4() ? 32 : 128);
  return prefix_of(u, u.is_v4() ? s.policy.ipv4_prefix : s.policy.ipv6_prefix);
}

// Read-only opens take a state no daemon has written yet as an empty one (a fresh install).
Result<std::unique_ptr<store::GuardStore>> open_store(const Setup& s, bool read_only) {
  store::GuardStoreOptions so;
  so.path = s.state_path;
  so.read_only = read_only;
  so.missing_ok = read_only;
  return store::GuardStore::open(so);
}

int test_rule(const GuardOptions& o, std::ostream& out, std::ostream& err) {
  const std::string& what = o.test_rule[0];
  const std::string& log_path = o.test_rule[1];
  engine::GuardRules rules = engine::GuardRules::builtin();
  std::vector<int> which;
  const bool pattern = what.find("<HOST>") != std::string::npos || what.find("(?P<host>") != std::string::npos;
  if (rules.find(what) >= 0) {
    which.push_back(rules.find(what));
  } else if (pattern) {
    // A bare regex, as fail2ban-regex takes one.
    auto built = engine::GuardRules::from_pattern(what);
    if (!built) {
      err << "reach guard: " << built.error().message() << '\n';
      return 2;
    }
    rules = std::move(*built);
    which.push_back(rules.find("pattern"));
  } else {
    auto text = sys::read_input_file(what);
    if (!text) {
      err << "reach guard: --test-rule " << what << ": neither a built-in rule ("
          << fmt::format("{}", fmt::join(config::builtin_guard_rules(), ", "))
          << "), a pattern with <HOST> nor a readable config: "
          << text.error().message() << '\n';
      return 2;
    }
    auto loaded = engine::load_guard(*text, what);
    if (!loaded) {
      err << loaded.error().message() << '\n';
      return 2;
    }
    rules = std::move(loaded->rules);
  }
  auto log = sys::read_input_file(log_path, std::size_t{1} << 30);
  if (!log) {
    err << "reach guard: " << log.error().message() << '\n';
    return 2;
  }
  const model::RuleTestReport r = engine::test_rules(rules, *log, which);
  out << (o.json ? format::guard_test_rule_json(r, log_path) : format::guard_test_rule_text(r, log_path, o.verbose));
  return 0;
}

int uninstall(const GuardOptions& o, std::ostream& out, std::ostream& err) {
  io::NftLayout layout;
  layout.table = o.table;
  auto nft = io::NftSets::open(layout);
  if (!nft) return (err << "reach guard: " << nft.error().message() << '\n'), 2;
  auto there = nft->installed();
  if (!there) return (err << "reach guard: " << there.error().message() << '\n'), 2;
  if (!*there) return (out << "reach guard: no table inet " << o.table << ": nothing to remove\n"), 0;
  if (auto u = nft->uninstall(); !u) return (err << "reach guard: " << u.error().message() << '\n'), 2;
  out << "reach guard: removed table inet " << o.table << " (its chain, sets and bans); nothing else was touched\n";
  return 0;
}

int list(const Setup& s, const GuardOptions& o, std::ostream& out, std::ostream& err) {
  auto st = open_store(s, true);
  if (!st) return (err << "reach guard: " << st.error().message() << '\n'), 2;
  auto rows = (*st)->bans();
  if (!rows) return (err << "reach guard: " << rows.error().message() << '\n'), 2;
  const TimeNs now_wall = s.wall_offset + sys::MonotonicClock().now();
  const bool any = std::any_of(rows->begin(), rows->end(), [&](const store::GuardBanRow& r) { return r.until_wall > now_wall; });
  // Whether the kernel holds each ban (a table deleted from outside holds none). Sets that cannot
  // be read (no CAP_NET_ADMIN) are said once, and no ban is called in or out of the kernel.
  std::optional<std::vector<io::BanEntry>> kernel;
  if (any) {
    io::NftLayout layout;
    layout.table = o.table;
    auto nft = io::NftSets::open(layout);
    auto l = nft ? nft->list() : Result<std::vector<io::BanEntry>>(tl::unexpected(nft.error()));
    if (l) kernel = std::move(*l);
    else err << "reach guard: --list: whether the kernel holds each ban is not shown: " << l.error().message() << '\n';
  }
  std::size_t n = 0;
  for (const store::GuardBanRow& r : *rows) {
    if (r.until_wall <= now_wall) continue;
    ++n;
    std::optional<bool> in_kernel;
    if (kernel) in_kernel = std::any_of(kernel->begin(), kernel->end(), [&](const io::BanEntry& e) { return e.prefix.to_string() == r.prefix; });
    if (o.json) {
      out << format::guard_list_json(guard::ban_of(r, s.wall_offset), s.wall_offset, in_kernel);
      continue;
    }
    out << fmt::format("{:<24} {} left (until {}), offence {}{}: {}\n", r.prefix, format::guard_duration(r.until_wall - now_wall),
                       format::rfc3339_micro(r.until_wall).substr(0, 19) + "Z", r.offence,
                       in_kernel == false ? " [not in the kernel set]" : "", r.reason);
  }
  if (o.json) return 0;  // NDJSON: one object per ban, so no bans is no line
  if (n == 0) out << "no active bans in " << s.state_path << ((*st)->exists() ? "\n" : " (no guard daemon has written it yet)\n");
  else out << n << " active ban" << (n == 1 ? "" : "s") << " in " << s.state_path << '\n';
  return 0;
}

int unban(const Setup& s, const GuardOptions& o, std::ostream& out, std::ostream& err) {
  std::string why;
  auto target = parse_target(o.unban, s, true, why);
  if (!target) return (err << "reach guard: --unban " << why << '\n'), 2;
  // A state file no daemon has written yet is not created here: no saved ban, no daemon to tell.
  auto st = open_store(s, true);
  if (st && (*st)->exists()) st = open_store(s, false);
  if (!st) return (err << "reach guard: " << st.error().message() << '\n'), 2;
  auto rows = (*st)->bans();
  if (!rows) return (err << "reach guard: " << rows.error().message() << '\n'), 2;
  std::vector<std::string> gone;
  std::vector<IpPrefix> prefixes;
  for (const store::GuardBanRow& r : *rows) {
    auto p = parse_prefix(r.prefix);
    if (!p) continue;
    // The ban itself, or any saved ban that holds the address given.
    if (*p == *target || (target->len == (target->net.is_v4() ? 32 : 128) && p->contains(target->net)) ||
        (o.unban.find('/') == std::string::npos && p->contains(*IpAddr::parse(o.unban))))
      gone.push_back(r.prefix), prefixes.push_back(*p);
  }
  if (gone.empty()) prefixes.push_back(*target);  // the kernel may still hold it (a lost state file)
  io::NftLayout layout;
  layout.table = o.table;
  std::size_t removed = 0;
  // The kernel first: an unban that cannot reach it (no CAP_NET_ADMIN, libnftables missing) is an
  // error, and the state is left as it was, so that --list and check do not call a source clean
  // that the kernel still drops.
  auto nft = io::NftSets::open(layout);
  if (!nft) return (err << "reach guard: " << nft.error().message() << '\n'), 2;
  auto l = nft->list();  // only what the kernel holds counts as removed (no table: nothing)
  if (!l) return (err << "reach guard: " << l.error().message() << '\n'), 2;
  std::vector<IpPrefix> held;
  for (const IpPrefix& p : prefixes)
    if (std::any_of(l->begin(), l->end(), [&](const io::BanEntry& e) { return e.prefix == p; })) held.push_back(p);
  if (auto r = nft->remove(held)) removed = *r;
  else return (err << "reach guard: " << r.error().message() << '\n'), 2;
  if ((*st)->exists()) {
    store::GuardUpdate u;
    u.removed = gone;
    if (auto c = (*st)->commit(u); !c) return (err << "reach guard: " << c.error().message() << '\n'), 2;
    const TimeNs now_wall = s.wall_offset + sys::MonotonicClock().now();
    for (const IpPrefix& p : prefixes)
      if (auto q = (*st)->request({0, "unban", p.to_string(), 0, now_wall}); !q)
        return (err << "reach guard: " << q.error().message() << '\n'), 2;
  }
  if (gone.empty() && removed == 0) {
    out << "reach guard: " << o.unban << ": not banned\n";
    return 1;
  }
  for (const IpPrefix& p : prefixes) out << "reach guard: unbanned " << p.to_string() << '\n';
  return 0;
}

int manual_ban(const Setup& s, const GuardOptions& o, std::ostream& out, std::ostream& err) {
  std::string why;
  auto target = parse_target(o.ban, s, true, why);
  if (!target) return (err << "reach guard: --ban " << why << '\n'), 2;
  // Said as what it is, before anything opens (the kernel batch would only count it as refused).
  if (io::set_for(*target).empty())
    return (err << "reach guard: --ban " << o.ban << ": a /" << target->len
                << " has no ban set (IPv4: /32 or /24; IPv6: /128, /64 or /48)\n"),
           2;
  if (io::ban_refused(*target, {}))
    return (err << "reach guard: --ban " << o.ban << ": never banned (loopback, link-local, multicast or unspecified)\n"),
           2;
  TimeNs duration = 0;
  if (!o.ban_time.empty()) {
    auto d = config::parse_duration(o.ban_time);
    if (!d || *d <= 0) return (err << "reach guard: --ban-time " << o.ban_time << ": not a duration like 1h, 10m\n"), 2;
    duration = *d;
  }
  io::NftLayout layout;
  layout.table = o.table;
  auto nft = io::NftSets::open(layout);
  if (!nft) return (err << "reach guard: " << nft.error().message() << '\n'), 2;
  // Before the state file is made: a ban the kernel could not take is not saved either.
  if (auto p = nft->permitted("nftables"); !p) return (err << "reach guard: " << p.error().message() << '\n'), 2;
  auto st = open_store(s, false);
  if (!st) return (err << "reach guard: " << st.error().message() << '\n'), 2;
  auto rows = (*st)->bans();
  if (!rows) return (err << "reach guard: " << rows.error().message() << '\n'), 2;
  const TimeNs now = sys::MonotonicClock().now();
  engine::GuardDecider d = guard::decider_with_saved_bans(s, *rows, now);
  // The allow-list holds for manual bans too (fail2ban's `banip` skips its ignoreip).
  auto b = d.ban(*target, now, duration);
  if (!b) return (err << "reach guard: " << b.error().message() << '\n'), 2;
  nft->set_allow_list(guard::never_ban(s));
  if (auto e = nft->ensure(); !e) return (err << "reach guard: " << e.error().message() << '\n'), 2;
  const io::Ban kb{b->prefix, b->duration};
  auto added = nft->add(std::span<const io::Ban>(&kb, 1));
  if (!added) return (err << "reach guard: " << added.error().message() << '\n'), 2;
  if (added->added == 0) return (err << "reach guard: --ban " << o.ban << ": refused (it overlaps the allow-list)\n"), 2;
  store::GuardUpdate u;
  u.bans.push_back({b->prefix.to_string(), b->at + s.wall_offset, b->duration, b->until + s.wall_offset, b->offence,
                    static_cast<int>(b->origin), "", "", b->reason.empty() ? "manual ban" : b->reason});
  if (auto c = (*st)->commit(u); !c) return (err << "reach guard: " << c.error().message() << '\n'), 2;
  (void)(*st)->request({0, "ban", b->prefix.to_string(), b->duration, now + s.wall_offset});
  out << "reach guard: " << format::guard_ban_line(*b) << '\n';
  return 0;
}

int check(const Setup& s, const GuardOptions& o, std::ostream& out, std::ostream& err) {
  auto a = IpAddr::parse(o.check);
  if (!a) return (err << "reach guard: check " << o.check << ": not an address\n"), 2;
  // A ban list that cannot be read is an error here as for --list: "clean" would be a guess.
  auto st = open_store(s, true);
  auto rows = st ? (*st)->bans() : Result<std::vector<store::GuardBanRow>>(tl::unexpected(st.error()));
  if (!rows) return (err << "reach guard: check " << o.check << ": " << rows.error().message() << " (no answer without the ban list)\n"), 2;
  const TimeNs now = sys::MonotonicClock().now();
  engine::GuardDecider d = guard::decider_with_saved_bans(s, *rows, now);
  const model::GuardExplain e = d.explain(*a, now);
  out << (o.json ? format::guard_explain_json(e, s.wall_offset) : format::guard_explain_text(e, s.wall_offset));
  return e.verdict == model::GuardVerdict::banned ? 1 : 0;
}

}  // namespace

// One mode per run: a flag that another mode would silently drop (`--dry-run --ban`, `--list
// --unban`) is an error, so a rehearsal never changes the firewall.
static std::string mode_conflict(const GuardOptions& o) {
  std::vector<std::string> modes;
  if (!o.test_rule.empty()) modes.push_back("--test-rule");
  if (o.uninstall) modes.push_back("--uninstall");
  if (o.validate) modes.push_back("--validate");
  if (!o.check.empty()) modes.push_back("check");
  if (o.list) modes.push_back("--list");
  if (!o.unban.empty()) modes.push_back("--unban");
  if (!o.ban.empty()) modes.push_back("--ban");
  if (modes.size() > 1) return modes[0] + " and " + modes[1] + " are separate runs: give one of them";
  if (o.dry_run && !modes.empty()) return "--dry-run is the daemon's rehearsal; " + modes[0] + " does not take it";
  if (!o.ban_time.empty() && o.ban.empty()) return "--ban-time goes with --ban";
  return "";
}

int run_guard(const GuardOptions& o, std::ostream& out, std::ostream& err) {
  if (auto c = mode_conflict(o); !c.empty()) return (err << "reach guard: " << c << '\n'), 2;
  if (!o.test_rule.empty()) {
    if (o.test_rule.size() != 2) return (err << "reach guard: --test-rule takes RULES LOGFILE\n"), 2;
    return test_rule(o, out, err);
  }
  if (o.uninstall) return uninstall(o, out, err);
  if (o.config.empty()) {
    err << "reach guard: --config FILE is required (see reach guard --help)\n";
    return 2;
  }
  Setup s;
  if (!guard::load_setup(o, s, err)) return 2;
  if (o.validate) {
    out << fmt::format("{}: OK: {} source{}, {} rule{} ({} user), {} allow-list entr{}\n", o.config, s.cfg.sources.size(),
                       s.cfg.sources.size() == 1 ? "" : "s", s.rules.size(), s.rules.size() == 1 ? "" : "s",
                       s.cfg.rules.size(), s.cfg.allow.size(), s.cfg.allow.size() == 1 ? "y" : "ies");
    // A missing database is a warning: guard runs without the country rules.
    if (!s.country_note.empty())
      err << fmt::format("{}:{}: warning: guard.countries: {}\n", o.config, s.cfg.countries.line, guard::country_rules_line(s));
    else if (s.cfg.countries.any())
      out << fmt::format("{}: {}\n", o.config, guard::country_rules_line(s));
    return 0;
  }
  if (!o.check.empty()) {
    if (!s.country_note.empty()) err << "reach guard: " << guard::country_rules_line(s) << '\n';
    return check(s, o, out, err);
  }
  if (o.list) return list(s, o, out, err);
  if (!o.unban.empty()) return unban(s, o, out, err);
  if (!o.ban.empty()) return manual_ban(s, o, out, err);
  return guard::run_daemon(o, std::move(s), out, err);
}

}  // namespace reach::tools
