#pragma once
// What every `reach guard` command reads before it acts: the config, the compiled rules, the
// policy with the operator's SSH client and the machine's own addresses, the state file's path.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "config/guard_config.hpp"
#include "engine/guard_decide.hpp"
#include "engine/guard_rules.hpp"
#include "store/guard_store.hpp"
#include "tools/guard/guard.hpp"

namespace reach::tools::guard {

inline constexpr const char* kDefaultState = "/var/lib/reach/guard.db";

struct Setup {
  config::GuardConfig cfg;
  engine::GuardRules rules;
  engine::GuardPolicy policy;      // with the SSH client added
  std::vector<IpAddr> own;         // this machine's addresses (in the namespace guard runs in)
  std::string state_path;
  std::optional<IpAddr> ssh_client;
  TimeNs wall_offset = 0;          // unix ns minus monotonic ns, read once
  // Country rules (tools/guard/countries.hpp): the files in use, those skipped (their errors),
  // and why the rules are inactive when configured without a usable file.
  std::vector<std::string> country_files, country_skipped;
  std::string country_note;
};

// Reads and checks the config (every error with its line on `err`), false when it cannot.
bool load_setup(const GuardOptions& o, Setup& s, std::ostream& err);
// The address of $SSH_CONNECTION's client ("198.18.0.9 51234 198.18.0.1 22"), if any.
std::optional<IpAddr> ssh_client_address();
// A saved ban on the monotonic timeline of this process.
model::GuardBan ban_of(const store::GuardBanRow& r, TimeNs wall_offset);
// A decider with the policy, own addresses and the saved bans (for check, --ban, the daemon).
// Without `restored` (check, --ban) a ban held keeps the words it was saved with; the daemon's
// (`restored` given) say "restored from the ban list" and cost no memory per ban.
engine::GuardDecider decider_with_saved_bans(const Setup& s, const std::vector<store::GuardBanRow>& rows, TimeNs now,
                                             std::vector<model::GuardBan>* restored = nullptr);
// Every prefix never to insert: the allow-list, the SSH client, the own addresses.
std::vector<IpPrefix> never_ban(const Setup& s);

int run_daemon(const GuardOptions& o, Setup s, std::ostream& out, std::ostream& err);

}  // namespace reach::tools::guard
