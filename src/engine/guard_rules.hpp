#pragma once
// guard's rules: patterns over log lines with one named host field, matched by RE2 (linear time,
// bounded memory; never std::regex on untrusted lines). The built-in `sshd` rule knows every
// failure form OpenSSH 9.2 (Debian 12) logs, each anchored so the address comes from the line's
// own fixed position (the end of most OpenSSH lines), never from text a client controls such as
// a user name; docs/GUARD-RULES.md lists the forms with an example line each.
//
// A line comes in one of three shapes (split_log_line): RFC 3164 / rsyslog file lines
// ("Nov 30 21:00:01 host sshd[123]: msg", or with an RFC 3339 time first), RFC 5424
// ("<38>1 2026-11-30T21:00:01Z host sshd 123 - - msg"), or a bare message (the journal's MESSAGE
// field, with the identifier passed apart). Rules with a program filter skip lines of other
// programs; a bare message is matched by every rule of its source.
//
// Pure and thread-compatible: a built GuardRules is immutable and may be shared.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/guard_config.hpp"
#include "model/guard.hpp"

namespace reach::engine {

// Lines longer than this (GuardConfig::max_line, default 8 KiB) are skipped, not matched: an
// OpenSSH line is under 1.1 KiB (sshd truncates its messages at 1024 bytes and user names at 100
// or 200), and a line cut at the limit would end in text of the sender's choosing, where the
// end-anchored forms look for the address. The daemon may hand over only the first max_line + 1
// bytes of a huge line (a 10 MB line then costs nothing); --test-rule counts them as too long.
inline constexpr std::size_t kDefaultMaxLine = 8192;

// A log line split into its syslog parts. Views into the caller's line.
struct LogLine {
  std::string_view program;  // tag / APP-NAME / journal identifier ("sshd"); empty when unknown
  std::string_view message;  // the text the program logged
};
// Recognises RFC 3164 (with or without "<PRI>", with an RFC 3164 or RFC 3339 time), RFC 5424 and
// otherwise returns the whole line as the message with no program.
LogLine split_log_line(std::string_view line);

class CompiledRule;  // one rule's forms (RE2 objects)

class GuardRules {
 public:
  // Compiles the built-in rules and every user rule of `config` (RE2, max_mem bounded). A pattern
  // that does not compile, has no host field or more than one, is reported with the pattern's
  // path and line: "guard.yml:14: guard.rules.myapp.patterns[0]: no host field (<HOST> or
  // (?P<host>...))". (Sources naming unknown rules are the config parser's error.)
  static config::ConfigResult<GuardRules> build(const config::GuardConfig& config);
  // Only the built-in rules, `sshd` and `relay` (tests, benchmarks, `--test-rule sshd LOGFILE`).
  static GuardRules builtin();
  // The built-in rules and one user rule named "pattern" made of `pattern` (`--test-rule
  // '^fail from <HOST>$' LOGFILE`, as fail2ban-regex takes a regex); errors name "--test-rule" and
  // the pattern: "--test-rule: '^a (<HOST>$': not a valid RE2 pattern: missing )".
  static config::ConfigResult<GuardRules> from_pattern(std::string_view pattern);

  // The index of a rule by name, or -1.
  int find(std::string_view name) const;
  std::size_t size() const { return rules_.size(); }
  const std::string& name(int rule) const;
  // Every form of a rule, in order ("invalid-user", ... / "patterns[0]", ...).
  std::vector<std::string> forms(int rule) const;

  // Matches one line (without its '\n'; a trailing '\r' is dropped) against the rules `which`
  // (indexes, in order: the first that matches wins) and returns the match, or nullopt.
  // `program` is the journal identifier when the line is a bare MESSAGE (empty otherwise: the
  // line's own syslog header is read). Lines longer than max_line() never match. The captured
  // host must parse as a numeric address (no name is ever resolved); IPv4-mapped IPv6 comes back
  // as IPv4. Whether the address may be counted at all is the decider's business.
  // `unparsed` (when given) is set when a rule reading JSON events (`relay`) refused the line as
  // not JSON or forged and no rule matched it: the caller counts such lines.
  std::optional<model::GuardMatch> match(std::string_view line, const std::vector<int>& which,
                                         std::string_view program = {}, bool* unparsed = nullptr) const;
  // Every rule, in order.
  std::optional<model::GuardMatch> match(std::string_view line, std::string_view program = {}) const;

  std::size_t max_line() const { return max_line_; }

 private:
  std::vector<std::shared_ptr<const CompiledRule>> rules_;
  std::vector<int> all_;
  std::size_t max_line_ = kDefaultMaxLine;
};

// Why `pattern`, as written in the config, cannot be a rule's pattern (RE2's reason with <HOST>
// written back: "not a valid RE2 pattern: missing )"), empty when it can. `host_field`: a
// `patterns:` entry (exactly one host field), else an `ignore:` entry. The check
// config::parse_guard_config is given, so RE2's errors come with every other one, each with its line.
std::string guard_pattern_error(std::string_view pattern, bool host_field);

struct GuardLoaded {
  config::GuardConfig config;
  GuardRules rules;
};
// The config and its compiled rules: every error of the file (shapes, values, patterns) in one
// pass, sorted by line, as `--validate` and a reload report them. `source` names the file.
config::ConfigResult<GuardLoaded> load_guard(std::string_view text, const std::string& source);

// `reach guard --test-rule`: every line of `log` (split at '\n'; a trailing '\r' dropped)
// through `rules` (`which`: indexes, empty = all). `max_missed` bounds the missed line numbers kept.
model::RuleTestReport test_rules(const GuardRules& rules, std::string_view log, const std::vector<int>& which = {},
                                 std::size_t max_missed = 1000);

}  // namespace reach::engine
