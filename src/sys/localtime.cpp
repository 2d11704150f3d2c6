#include "sys/localtime.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <ctime>

namespace reach::sys {

namespace {
bool zone_exists(const std::string& tz) {
  if (tz == "UTC" || tz == "Etc/UTC") return true;
  if (tz.empty() || tz.find("..") != std::string::npos || tz.front() == '/') return false;
  struct stat st {};
  return ::stat(("/usr/share/zoneinfo/" + tz).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
}  // namespace

std::optional<LocalTime> local_time(TimeNs wall, const std::string& tz) {
  if (!zone_exists(tz)) return std::nullopt;
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  ::setenv("TZ", tz.c_str(), 1);
  ::tzset();
  std::time_t t = static_cast<std::time_t>(wall / kNsPerSec);
  std::tm tm{};
  const bool ok = ::localtime_r(&t, &tm) != nullptr;
  if (old) ::setenv("TZ", saved.c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
  if (!ok) return std::nullopt;
  return LocalTime{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   (tm.tm_wday + 6) % 7, tm.tm_gmtoff};
}

}  // namespace reach::sys
