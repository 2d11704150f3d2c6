// guard's rules (guard_rules.hpp): the syslog line shapes, the built-in sshd forms, user rules,
// and --test-rule. Every form and why it is anchored where it is: docs/GUARD-RULES.md.
#include "engine/guard_rules.hpp"

#include <fmt/format.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "base/ip_prefix.hpp"
#include "engine/guard_relay.hpp"

namespace reach::engine {
namespace {

// The address where a form puts it: only the characters of a numeric IPv4/IPv6 address, so the
// field can never run into the fixed text around it.
constexpr std::string_view kHost = "(?P<host>[0-9A-Fa-f:.]{2,45})";
// OpenSSH's level prefix for error()/fatal() lines.
constexpr std::string_view kLevel = "^(?:(?:error|fatal): )?";
// sshpkt_fmt_connection_id's preamble before the address: set once userauth has begun; the user
// name is the client's and may hold anything printable (spaces too), so every form with it is
// anchored at the end.
constexpr std::string_view kPreamble = "(?:(?:invalid|authenticating) user .* )?";

// A built-in form: the message pattern (with "{H}" for the host field) and its weight.
struct FormDef {
  const char* name;
  const char* pattern;
  int weight;
};

// OpenSSH 9.2 (Debian 12). "[preauth]" is appended by the privsep monitor to every line the
// pre-authentication child logs; the monitor's own lines (auth_log, getpwnamallow) lack it.
// End-anchored forms: the address is followed only by fixed text up to the end of the line.
// Start-anchored forms (received-disconnect, negotiate, banner-exchange): the address follows a
// fixed lead and the client's text comes only after it; the host field cannot hold a space.
constexpr FormDef kSshd[] = {
    {"invalid-user", "Invalid user .* from {H} port \\d+(?: \\[preauth\\])?$", 1},
    {"not-allowed",
     "User .* from {H} not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any group|"
     "none of user's groups are listed in AllowGroups|a group is listed in DenyGroups|account is locked|"
     "shell \\S+ (?:does not exist|is not executable))$",
     1},
    {"failed-none", "Failed none for (?:invalid user )?.* from {H} port \\d+ ssh2(?: \\[preauth\\])?$", 0},
    {"failed-password", "Failed password for (?:invalid user )?.* from {H} port \\d+ ssh2(?: \\[preauth\\])?$", 1},
    // ": TYPE FINGERPRINT" only: a certificate's line carries its ID (the client's text) and is
    // left unmatched rather than read wrongly.
    {"failed-publickey",
     "Failed publickey for (?:invalid user )?.* from {H} port \\d+ ssh2(?:: [A-Z0-9@.-]+ [A-Za-z0-9]+:[A-Za-z0-9+/=:]+)?"
     "(?: \\[preauth\\])?$",
     1},
    {"failed-other",
     "Failed (?:keyboard-interactive|hostbased|gssapi-with-mic|gssapi-keyex)(?:/[a-z]+)? for (?:invalid user )?.* "
     "from {H} port \\d+ ssh2(?: \\[preauth\\])?$",
     1},
    {"max-attempts",
     "maximum authentication attempts exceeded for (?:invalid user )?.* from {H} port \\d+ ssh2(?: \\[preauth\\])?$", 1},
    {"too-many-failures", "Disconnecting {U}{H} port \\d+: Too many authentication failures(?: \\[preauth\\])?$", 0},
    {"closed-invalid-user", "Connection (?:closed|reset) by invalid user .* {H} port \\d+ \\[preauth\\]$", 0},
    {"closed-authenticating-user", "Connection (?:closed|reset) by authenticating user .* {H} port \\d+ \\[preauth\\]$", 1},
    {"closed-preauth", "Connection (?:closed|reset) by {H} port \\d+(?: \\[preauth\\])?$", 1},
    {"disconnected-invalid-user", "Disconnected from invalid user .* {H} port \\d+ \\[preauth\\]$", 0},
    {"disconnected-authenticating-user", "Disconnected from authenticating user .* {H} port \\d+ \\[preauth\\]$", 1},
    {"disconnected-preauth", "Disconnected from {H} port \\d+ \\[preauth\\]$", 1},
    {"received-disconnect", "Received disconnect from {H} port \\d+:\\d+: .*\\[preauth\\]$", 0},
    {"timed-out", "Connection from {U}{H} port \\d+ timed out(?: \\[preauth\\])?$", 1},
    {"timeout-before-auth", "Timeout before authentication for {H} port \\d+$", 1},
    {"negotiate", "Unable to negotiate with {H} port \\d+: no matching [a-zA-Z ]+ found\\.", 1},
    {"banner-exchange", "banner exchange: Connection from {H} port \\d+: [A-Za-z ]+$", 1},
    {"dispatch-fatal", "ssh_dispatch_run_fatal: Connection from {U}{H} port \\d+: [A-Za-z ]+(?: \\[preauth\\])?$", 1},
    {"pam-failure", "PAM: Authentication failure for (?:illegal user )?.* from {H}$", 0},
    // OpenSSH before 8.x (still met on older hosts and containers).
    {"no-identification", "Did not receive identification string from {H}(?: port \\d+)?$", 1},
    {"bad-protocol", "Bad protocol version identification .* from {H}(?: port \\d+)?$", 1},
};

constexpr const char* kSshdPrograms[] = {"sshd", "sshd-session", "sshd-auth"};

std::string expand(std::string_view p) {
  std::string out;
  for (std::size_t i = 0; i < p.size();) {
    if (p.substr(i, 3) == "{H}") {
      out += kHost;
      i += 3;
    } else if (p.substr(i, 3) == "{U}") {
      out += kPreamble;
      i += 3;
    } else {
      out += p[i++];
    }
  }
  return out;
}

RE2::Options re2_options(std::int64_t max_mem) {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_encoding(RE2::Options::EncodingLatin1);  // every byte is a character: invalid UTF-8 is just text
  o.set_max_mem(max_mem);
  return o;
}

// RE2's memory bound per pattern: two thirds for the compiled program (a user pattern beyond it
// is refused: "pattern too large"), the rest for its DFA cache, which is reset when full (so
// hostile lines cannot grow it). The built-in forms are small: 1 MiB each, 4 MiB for their set.
constexpr std::int64_t kPatternMem = 8 << 20;
constexpr std::int64_t kBuiltinMem = 1 << 20;
constexpr std::int64_t kBuiltinSetMem = 4 << 20;
constexpr std::int64_t kMaxSetMem = 64 << 20;

}  // namespace

struct Form {
  std::string name;
  std::unique_ptr<RE2> re;
  int host_group = 0;
  int weight = 1;
};

class CompiledRule {
 public:
  std::string name;
  std::vector<std::string> programs;  // empty = any
  std::vector<Form> forms;
  std::unique_ptr<RE2::Set> set;      // every form, for one pass over lines no form matches
  std::unique_ptr<RE2::Set> ignore;   // null when none
  bool relay_events = false;          // the built-in `relay` rule: JSON events, no patterns

  bool wants(std::string_view program) const {
    if (programs.empty() || program.empty()) return true;
    return std::find(programs.begin(), programs.end(), program) != programs.end();
  }

  std::optional<model::GuardMatch> match(std::string_view msg, bool* unparsed) const {
    if (relay_events) return match_relay(msg, unparsed);
    const re2::StringPiece text(msg.data(), msg.size());
    std::vector<int> hits;
    RE2::Set::ErrorInfo info{};
    if (!set->Match(text, &hits, &info)) {
      if (info.kind != RE2::Set::kOutOfMemory) return std::nullopt;
      // The set's automaton ran out of its budget on this line: try the forms one by one.
      hits.clear();
      for (std::size_t i = 0; i < forms.size(); ++i)
        if (RE2::PartialMatch(text, *forms[i].re)) hits.push_back(static_cast<int>(i));
    }
    if (hits.empty()) return std::nullopt;
    if (ignore && ignore->Match(text, nullptr)) return std::nullopt;
    std::sort(hits.begin(), hits.end());
    for (int i : hits) {
      const Form& f = forms[static_cast<std::size_t>(i)];
      re2::StringPiece groups[16];
      const int n = f.host_group + 1;
      if (n > 16 || !f.re->Match(text, 0, text.size(), RE2::UNANCHORED, groups, n)) continue;
      const auto& h = groups[f.host_group];
      if (h.size() > 64) continue;
      auto addr = IpAddr::parse(std::string_view(h.data(), h.size()));
      if (!addr) continue;
      model::GuardMatch m;
      m.rule = name;
      m.form = f.name;
      m.addr = unmap_v4(*addr);
      m.weight = f.weight;
      return m;
    }
    return std::nullopt;
  }

  std::optional<model::GuardMatch> match_relay(std::string_view msg, bool* unparsed) const {
    const RelayEvent e = read_relay_event(msg);
    if (e.kind == RelayLine::not_json || e.kind == RelayLine::forged) {
      if (unparsed) *unparsed = true;
      return std::nullopt;
    }
    if (e.kind != RelayLine::limit) return std::nullopt;
    model::GuardMatch m;
    m.rule = name;
    m.form = "limit";
    m.addr = e.client;
    m.weight = relay_event_weight(e.count);
    return m;
  }
};

namespace {

// Compiles one pattern into a form; the message says what is wrong, empty when fine.
std::string compile_form(Form& f, const std::string& pattern, std::int64_t max_mem) {
  f.re = std::make_unique<RE2>(pattern, re2_options(max_mem));
  if (!f.re->ok()) return f.re->error();
  const auto& named = f.re->NamedCapturingGroups();
  auto it = named.find("host");
  if (it == named.end()) return "no host field (<HOST> or (?P<host>...))";
  f.host_group = it->second;
  if (f.host_group >= 16) return "the host field must be among the first 15 groups";
  return {};
}

std::string finish(CompiledRule& r, std::int64_t max_mem) {
  r.set = std::make_unique<RE2::Set>(re2_options(max_mem), RE2::UNANCHORED);
  for (const auto& f : r.forms) {
    std::string err;
    if (r.set->Add(f.re->pattern(), &err) < 0) return err;
  }
  if (!r.set->Compile()) return "the rule's patterns together need more memory than allowed";
  return {};
}

std::shared_ptr<const CompiledRule> sshd_rule() {
  static const std::shared_ptr<const CompiledRule> rule = [] {
    auto r = std::make_shared<CompiledRule>();
    r->name = "sshd";
    for (const char* p : kSshdPrograms) r->programs.emplace_back(p);
    for (const auto& def : kSshd) {
      Form f;
      f.name = def.name;
      f.weight = def.weight;
      auto err = compile_form(f, std::string(kLevel) + expand(def.pattern), kBuiltinMem);
      if (!err.empty()) throw std::logic_error("built-in sshd form " + f.name + ": " + err);
      r->forms.push_back(std::move(f));
    }
    auto err = finish(*r, kBuiltinSetMem);
    if (!err.empty()) throw std::logic_error("built-in sshd rule: " + err);
    return r;
  }();
  return rule;
}

// `relay`: reach relay's relay_limit events (guard_relay.hpp); one form, "limit".
std::shared_ptr<const CompiledRule> relay_rule() {
  static const std::shared_ptr<const CompiledRule> rule = [] {
    auto r = std::make_shared<CompiledRule>();
    r->name = "relay";
    r->relay_events = true;
    Form f;
    f.name = "limit";
    r->forms.push_back(std::move(f));
    return r;
  }();
  return rule;
}

std::size_t count_of(const std::string& s, std::string_view what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

// "<HOST>" -> the host field; a literal "<HOST>" cannot be meant in a log pattern.
std::string expand_user(const std::string& p) {
  std::string out;
  std::size_t i = 0;
  for (auto at = p.find("<HOST>"); at != std::string::npos; at = p.find("<HOST>", i)) {
    out.append(p, i, at - i);
    out += kHost;
    i = at + 6;
  }
  out.append(p, i, std::string::npos);
  return out;
}

// RE2's reason in the user's own terms: its error text ("missing ): ARG") with the host field
// written back as <HOST>, and ARG dropped when it is the whole pattern (the caller names that).
std::string user_reason(std::string error, std::string_view user_pattern, bool too_large = false) {
  if (too_large) return fmt::format("too large: RE2 would need more than {} MiB for it", kPatternMem >> 20);
  for (auto at = error.find(kHost); at != std::string::npos; at = error.find(kHost, at + 6))
    error.replace(at, kHost.size(), "<HOST>");
  const std::string whole = ": " + std::string(user_pattern);
  if (error.size() > whole.size() && error.compare(error.size() - whole.size(), whole.size(), whole) == 0)
    error.resize(error.size() - whole.size());
  return "not a valid RE2 pattern: " + error;
}

// A user's `patterns:` entry as a form; the message in the user's terms, empty when fine.
std::string compile_user_form(Form& f, const std::string& text) {
  if (count_of(text, "<HOST>") + count_of(text, "(?P<host>") > 1)
    return "more than one host field: which address would be banned?";
  // A fail2ban filter pasted as is: "%(__prefix_line)s" is a valid regex that matches nothing.
  if (auto at = text.find("%("); at != std::string::npos) {
    const auto end = text.find(")s", at);
    if (end != std::string::npos)
      return fmt::format("{}: fail2ban's %(name)s interpolation is not supported; patterns match the message "
                         "after the syslog time, host and program[pid]: (drop it)",
                         text.substr(at, end + 2 - at));
  }
  std::string err = compile_form(f, expand_user(text), kPatternMem);
  if (!err.empty() && !f.re->ok()) return user_reason(err, text, f.re->error_code() == RE2::ErrorPatternTooLarge);
  return err;
}

bool is_tag_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '/';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "Nov 30 21:00:01 " (day space-padded) or an RFC 3339 time and a space; the rest, or nullopt.
std::optional<std::string_view> skip_time(std::string_view s) {
  if (s.size() > 16 && s[3] == ' ' && s[6] == ' ' && s[9] == ':' && s[12] == ':' && s[15] == ' ' &&
      (s[0] >= 'A' && s[0] <= 'Z') && is_digit(s[5]) && is_digit(s[7]) && is_digit(s[14]))
    return s.substr(16);
  if (s.size() > 11 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-') {
    auto sp = s.find(' ');
    if (sp != std::string_view::npos && sp <= 40) return s.substr(sp + 1);
  }
  return std::nullopt;
}

// The next space-delimited token of s, advancing s past it and one space.
std::optional<std::string_view> token(std::string_view& s) {
  auto sp = s.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return std::nullopt;
  auto t = s.substr(0, sp);
  s.remove_prefix(sp + 1);
  return t;
}

std::optional<LogLine> split_5424(std::string_view s) {
  // after "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]
  std::string_view app;
  for (int i = 0; i < 5; ++i) {
    auto t = token(s);
    if (!t) return std::nullopt;
    if (i == 2) app = *t;
  }
  if (s.empty()) return std::nullopt;
  if (s[0] == '-') {
    s.remove_prefix(1);
  } else {
    // SD-ELEMENTs: [id param="value" ...]..., values escape '"', '\' and ']' with '\'.
    while (!s.empty() && s[0] == '[') {
      std::size_t i = 1;
      bool quoted = false;
      for (; i < s.size(); ++i) {
        if (quoted && s[i] == '\\') ++i;
        else if (s[i] == '"') quoted = !quoted;
        else if (!quoted && s[i] == ']') break;
      }
      if (i >= s.size()) return std::nullopt;
      s.remove_prefix(i + 1);
    }
  }
  if (!s.empty()) {
    if (s[0] != ' ') return std::nullopt;
    s.remove_prefix(1);
  }
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return LogLine{app == "-" ? std::string_view{} : app, s};
}

}  // namespace

LogLine split_log_line(std::string_view line) {
  std::string_view s = line;
  if (!s.empty() && s[0] == '<') {
    std::size_t i = 1;
    while (i < s.size() && i <= 4 && is_digit(s[i])) ++i;
    if (i > 1 && i < s.size() && s[i] == '>') {
      s.remove_prefix(i + 1);
      if (s.size() > 2 && s[0] == '1' && s[1] == ' ') {
        if (auto l = split_5424(s.substr(2))) return *l;
        return LogLine{{}, line};
      }
    }
  }
  auto rest = skip_time(s);
  if (!rest) return LogLine{{}, line};
  s = *rest;
  if (!token(s)) return LogLine{{}, line};  // the host name
  std::size_t i = 0;
  while (i < s.size() && i < 64 && is_tag_char(s[i])) ++i;
  if (i == 0 || i >= s.size()) return LogLine{{}, line};
  std::string_view program = s.substr(0, i);
  if (s[i] == '[') {
    auto close = s.find("]: ", i);
    if (close == std::string_view::npos || close > i + 24) return LogLine{{}, line};
    return LogLine{program, s.substr(close + 3)};
  }
  if (s.substr(i, 2) == ": ") return LogLine{program, s.substr(i + 2)};
  return LogLine{{}, line};
}

GuardRules GuardRules::builtin() {
  GuardRules g;
  g.rules_.push_back(sshd_rule());
  g.rules_.push_back(relay_rule());
  g.all_ = {0, 1};
  return g;
}

config::ConfigResult<GuardRules> GuardRules::build(const config::GuardConfig& c) {
  GuardRules g = builtin();
  g.max_line_ = c.max_line;
  config::ConfigErrors errors;
  auto add_error = [&](int line, std::string path, std::string message) {
    errors.items.push_back(config::ConfigError{c.source, line, std::move(path), std::move(message)});
  };
  for (const auto& def : c.rules) {
    auto r = std::make_shared<CompiledRule>();
    r->name = def.name;
    r->programs = def.programs;
    const std::string base = "guard.rules." + def.name;
    bool good = true;
    for (std::size_t i = 0; i < def.patterns.size(); ++i) {
      Form f;
      f.name = fmt::format("patterns[{}]", i);
      f.weight = def.weight;
      const int line = i < def.pattern_lines.size() ? def.pattern_lines[i] : def.line;
      auto err = compile_user_form(f, def.patterns[i]);
      if (!err.empty()) {
        add_error(line, base + "." + f.name, err);
        good = false;
        continue;
      }
      r->forms.push_back(std::move(f));
    }
    if (!def.ignore.empty()) {
      r->ignore = std::make_unique<RE2::Set>(re2_options(kPatternMem), RE2::UNANCHORED);
      for (std::size_t i = 0; i < def.ignore.size(); ++i) {
        std::string err;
        if (r->ignore->Add(def.ignore[i], &err) < 0) {
          add_error(i < def.ignore_lines.size() ? def.ignore_lines[i] : def.line, fmt::format("{}.ignore[{}]", base, i),
                    user_reason(err, def.ignore[i]));
          good = false;
        }
      }
      if (good && !r->ignore->Compile()) {
        add_error(def.line, base + ".ignore", "needs more memory than allowed");
        good = false;
      }
    }
    if (good && r->forms.empty()) {
      add_error(def.line, base + ".patterns", "needs at least one pattern");
      good = false;
    }
    if (good) {
      auto err = finish(*r, std::min(kMaxSetMem, static_cast<std::int64_t>(r->forms.size()) * kPatternMem));
      if (!err.empty()) {
        add_error(def.line, base + ".patterns", err);
        good = false;
      }
    }
    if (good) g.rules_.push_back(std::move(r));
  }
  if (!errors.items.empty()) {
    std::stable_sort(errors.items.begin(), errors.items.end(),
                     [](const config::ConfigError& a, const config::ConfigError& b) { return a.line < b.line; });
    return tl::unexpected(std::move(errors));
  }
  g.all_.clear();
  for (std::size_t i = 0; i < g.rules_.size(); ++i) g.all_.push_back(static_cast<int>(i));
  return g;
}

config::ConfigResult<GuardRules> GuardRules::from_pattern(std::string_view pattern) {
  config::GuardConfig c;
  c.source = "--test-rule";
  config::GuardRuleDef r;
  r.name = "pattern";
  r.patterns = {std::string(pattern)};
  r.pattern_lines = {0};
  c.rules.push_back(std::move(r));
  auto g = build(c);
  // The rule and key are ours, not the user's: name the pattern as it was given.
  if (!g)
    for (auto& e : g.error().items) e.path = "'" + std::string(pattern) + "'";
  return g;
}

std::string guard_pattern_error(std::string_view pattern, bool host_field) {
  const std::string text(pattern);
  if (host_field) {
    Form f;
    return compile_user_form(f, text);
  }
  RE2 re(text, re2_options(kPatternMem));
  return re.ok() ? std::string() : user_reason(re.error(), text, re.error_code() == RE2::ErrorPatternTooLarge);
}

config::ConfigResult<GuardLoaded> load_guard(std::string_view text, const std::string& source) {
  auto c = config::parse_guard_config(text, source, guard_pattern_error);
  if (!c) return tl::unexpected(std::move(c.error()));
  auto r = GuardRules::build(*c);
  if (!r) return tl::unexpected(std::move(r.error()));
  return GuardLoaded{std::move(*c), std::move(*r)};
}

int GuardRules::find(std::string_view name) const {
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (rules_[i]->name == name) return static_cast<int>(i);
  return -1;
}

const std::string& GuardRules::name(int rule) const { return rules_.at(static_cast<std::size_t>(rule))->name; }

std::vector<std::string> GuardRules::forms(int rule) const {
  std::vector<std::string> out;
  for (const auto& f : rules_.at(static_cast<std::size_t>(rule))->forms) out.push_back(f.name);
  return out;
}

std::optional<model::GuardMatch> GuardRules::match(std::string_view line, const std::vector<int>& which,
                                                   std::string_view program, bool* unparsed) const {
  if (line.size() > max_line_) return std::nullopt;  // cut lines would end in attacker-chosen text
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  LogLine l = program.empty() ? split_log_line(line) : LogLine{program, line};
  for (int i : which) {
    if (i < 0 || static_cast<std::size_t>(i) >= rules_.size()) continue;
    const auto& r = *rules_[static_cast<std::size_t>(i)];
    if (!r.wants(l.program)) continue;
    if (auto m = r.match(l.message, unparsed)) return m;
  }
  return std::nullopt;
}

std::optional<model::GuardMatch> GuardRules::match(std::string_view line, std::string_view program) const {
  return match(line, all_, program);
}

model::RuleTestReport test_rules(const GuardRules& rules, std::string_view log, const std::vector<int>& which0,
                                 std::size_t max_missed) {
  model::RuleTestReport rep;
  std::vector<int> which = which0;
  if (which.empty())
    for (std::size_t i = 0; i < rules.size(); ++i) which.push_back(static_cast<int>(i));
  std::map<std::pair<std::string, std::string>, std::size_t> counts;
  std::map<std::string, std::size_t> addrs;
  for (int r : which) {
    if (r < 0 || static_cast<std::size_t>(r) >= rules.size()) continue;
    for (const auto& f : rules.forms(r)) rep.by_form.push_back({rules.name(r), f, 0});
  }
  std::size_t pos = 0;
  while (pos < log.size()) {
    auto nl = log.find('\n', pos);
    auto line = log.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? log.size() : nl + 1;
    ++rep.lines;
    if (line.size() > rules.max_line()) {
      ++rep.too_long;
      if (rep.missed.size() < max_missed) rep.missed.push_back(rep.lines);
      continue;
    }
    bool unparsed = false;
    auto m = rules.match(line, which, {}, &unparsed);
    if (!m && unparsed) ++rep.unparsed;
    if (!m) {
      if (rep.missed.size() < max_missed) rep.missed.push_back(rep.lines);
      continue;
    }
    ++rep.matched;
    ++counts[{m->rule, m->form}];
    ++addrs[m->addr.to_string()];
    model::RuleTestLine t;
    t.line_no = rep.lines;
    t.matched = true;
    t.match = std::move(*m);
    rep.hits.push_back(std::move(t));
  }
  for (auto& bf : rep.by_form) bf.lines = counts[{bf.rule, bf.form}];
  rep.by_addr.assign(addrs.begin(), addrs.end());
  std::stable_sort(rep.by_addr.begin(), rep.by_addr.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return rep;
}

}  // namespace reach::engine
