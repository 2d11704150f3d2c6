#pragma once
// The passwords of the email notifiers, read from their password_file (at start and reload).
// Apart from watch's daemon so that guard and usage, which send through the same notifiers,
// do not link watch's probers (and net-snmp, c-ares) for it: the lean guard image (src/app).
#include <map>
#include <string>

#include "base/error.hpp"
#include "config/watch_config.hpp"

namespace reach::tools::notify {

Result<std::map<std::string, std::string>> read_mail_passwords(const config::WatchConfig& cfg);

}  // namespace reach::tools::notify
