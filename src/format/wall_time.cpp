// UTC calendar arithmetic with <chrono> (no libc time zone state, no clock).
#include "format/wall_time.hpp"

#include <fmt/format.h>

#include <chrono>

namespace reach::format {
namespace {

struct Civil {
  int year;
  unsigned month, day, hour, minute, second, weekday;  // weekday 0 = Sunday
  TimeNs frac_ns;
};

Civil civil(TimeNs unix_ns) {
  using namespace std::chrono;
  TimeNs secs = unix_ns / kNsPerSec, frac = unix_ns % kNsPerSec;
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += kNsPerSec;
    --secs;
  }
  sys_seconds t{seconds{secs}};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  return Civil{int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()), unsigned(hms.hours().count()),
               unsigned(hms.minutes().count()), unsigned(hms.seconds().count()), weekday{day}.c_encoding(), frac};
}

std::string date_time(const Civil& c) {
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second);
}

}  // namespace

double unix_seconds(TimeNs unix_ns) {
  return static_cast<double>(unix_ns / kNsPerSec) + static_cast<double>(unix_ns % kNsPerSec) / 1e9;
}

std::string rfc3339_nano(TimeNs unix_ns) {
  Civil c = civil(unix_ns);
  std::string out = date_time(c);
  if (c.frac_ns) {
    std::string f = fmt::format("{:09}", c.frac_ns);
    f.erase(f.find_last_not_of('0') + 1);
    out += '.' + f;
  }
  return out + 'Z';
}

std::string rfc3339_micro(TimeNs unix_ns) {
  Civil c = civil(unix_ns);
  return fmt::format("{}.{:06}Z", date_time(c), c.frac_ns / 1000);
}

std::string rfc5322_date(TimeNs unix_ns) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Civil c = civil(unix_ns);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[c.weekday], c.day, kMonths[c.month - 1],
                     c.year, c.hour, c.minute, c.second);
}

}  // namespace reach::format
