#include "tools/notify/mail_passwords.hpp"

#include <variant>

#include "sys/input_file.hpp"

namespace reach::tools::notify {

Result<std::map<std::string, std::string>> read_mail_passwords(const config::WatchConfig& cfg) {
  std::map<std::string, std::string> out;
  for (const config::Notifier& n : cfg.notifiers) {
    const auto* m = std::get_if<config::EmailNotifier>(&n.kind);
    if (!m || m->password_file.empty()) continue;
    auto text = sys::read_input_file(m->password_file, 4096);
    if (!text) return tl::unexpected(text.error());
    std::string pw = std::move(*text);
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();  // one line
    out[n.name] = std::move(pw);
  }
  return out;
}

}  // namespace reach::tools::notify
