// `reach check --dnsbl` writers: the table, NDJSON (a zone's TXT bytes are not ours: invalid
// UTF-8 must not throw), and the Nagios states and perfdata.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

#include "format/dnsbl_writer.hpp"

namespace reach::format {
namespace {

using model::DnsblOutcome;
using model::DnsblStatus;

DnsblOutcome row(const char* addr, const char* zone, DnsblStatus s) {
  DnsblOutcome o;
  o.input = addr;
  o.addr = *IpAddr::parse(addr);
  o.zone = zone;
  o.query = "q.";
  o.status = s;
  o.attempts = 1;
  o.reason = s == DnsblStatus::listed ? "listed" : s == DnsblStatus::not_listed ? "NXDOMAIN" : "no answer";
  if (s == DnsblStatus::listed) o.codes = {"127.0.0.2", "127.0.0.4"};
  if (s != DnsblStatus::error) o.time = 1500000;
  return o;
}

model::DnsblSummary summary(const std::vector<DnsblOutcome>& rows, std::size_t addresses, std::size_t zones) {
  model::DnsblSummary s;
  s.total = rows.size();
  s.addresses = addresses;
  s.zones = zones;
  for (const auto& r : rows) {
    s.listed += r.status == DnsblStatus::listed;
    s.not_listed += r.status == DnsblStatus::not_listed;
    s.errors += r.status == DnsblStatus::error;
  }
  s.listed_addresses = s.listed ? 1 : 0;
  return s;
}

TEST(DnsblText, TableAndSummary) {
  std::vector<DnsblOutcome> rows{row("198.18.0.2", "a.test", DnsblStatus::listed),
                                 row("198.18.0.2", "b.test", DnsblStatus::error)};
  rows[0].txt = "bad\x1b[31m";
  rows[0].mapped_v4 = true;
  rows[0].input = "::ffff:198.18.0.2";
  std::ostringstream out;
  write_dnsbl_text(out, rows, summary(rows, 1, 2));
  EXPECT_EQ(out.str(),
            "ADDRESS                            ZONE    RESULT  TIME   CODES                REASON\n"
            "::ffff:198.18.0.2 (as 198.18.0.2)  a.test  listed  1.5ms  127.0.0.2,127.0.0.4  listed: bad\\x1b[31m\n"
            "198.18.0.2                         b.test  error   -      -                    no answer\n"
            "1 address x 2 zones: 1 listed, 0 not listed, 1 zone error (0.00s)\n");
}

TEST(DnsblJson, RowsAndSummaryEvenWithInvalidUtf8) {
  std::vector<DnsblOutcome> rows{row("2001:db8::1", "a.test", DnsblStatus::listed),
                                 row("2001:db8::1", "b.test", DnsblStatus::not_listed)};
  rows[0].txt = "caf\xe9";
  rows[0].rcode = "NOERROR";
  std::ostringstream out;
  write_dnsbl_json(out, rows, summary(rows, 1, 2));
  std::istringstream in(out.str());
  std::string line;
  std::vector<nlohmann::json> js;
  while (std::getline(in, line)) js.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(js.size(), 3u);
  EXPECT_EQ(js[0]["type"], "dnsbl");
  EXPECT_EQ(js[0]["result"], "listed");
  EXPECT_EQ(js[0]["listed"], true);
  EXPECT_EQ(js[0]["ok"], false);
  EXPECT_EQ(js[0]["codes"].size(), 2u);
  EXPECT_EQ(js[0]["txt"], "caf\xef\xbf\xbd");  // U+FFFD
  EXPECT_EQ(js[0]["time_ns"], 1500000);
  EXPECT_FALSE(js[0].contains("mapped_v4"));
  EXPECT_EQ(js[1]["result"], "not-listed");
  EXPECT_EQ(js[1]["ok"], true);
  EXPECT_FALSE(js[1].contains("codes"));
  EXPECT_EQ(js[2]["type"], "summary");
  EXPECT_EQ(js[2]["listed"], 1);
  EXPECT_EQ(js[2]["failed"], 1);
  EXPECT_EQ(js[2]["ok"], 1);
}

TEST(DnsblNagios, ListedIsCriticalZoneErrorsUnknownElseOk) {
  struct Case {
    std::vector<DnsblStatus> statuses;
    int code;
    const char* first;
  } cases[] = {
      {{DnsblStatus::not_listed, DnsblStatus::not_listed}, 0, "CHECK OK: 0 of 1 addresses listed | "},
      {{DnsblStatus::not_listed, DnsblStatus::error}, 3,
       "CHECK UNKNOWN: 0 of 1 addresses listed, 1 of 2 queries without an answer | "},
      {{DnsblStatus::listed, DnsblStatus::error}, 2,
       "CHECK CRITICAL: 1 of 1 addresses listed (198.18.0.2 on z0.test 127.0.0.2,127.0.0.4), 1 of 2 queries without "
       "an answer | 'listed'=1;;0;0;1 'listings'=1;;;0;2 'zone_errors'=1;;;0;2 'time'=0.001500s;;;0;"},
  };
  for (const auto& c : cases) {
    std::vector<DnsblOutcome> rows;
    for (std::size_t i = 0; i < c.statuses.size(); ++i)
      rows.push_back(row("198.18.0.2", ("z" + std::to_string(i) + ".test").c_str(), c.statuses[i]));
    rows[0].txt = "see | here\nnow";
    std::ostringstream out;
    EXPECT_EQ(write_dnsbl_nagios(out, rows, summary(rows, 1, rows.size())), c.code);
    const std::string text = out.str();
    std::string first = text.substr(0, text.find('\n'));
    EXPECT_EQ(first.rfind(c.first, 0), 0u) << first;
    // One line per row that is not clean; a TXT cannot start perfdata or a line of its own.
    std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    std::size_t unclean = static_cast<std::size_t>(
        std::count_if(rows.begin(), rows.end(), [](const auto& r) { return r.status != DnsblStatus::not_listed; }));
    EXPECT_EQ(lines, 1 + unclean) << text;
    if (c.statuses[0] == DnsblStatus::listed) {
      EXPECT_NE(text.find("198.18.0.2 on z0.test: listed 127.0.0.2,127.0.0.4, see \\x7c here\\x0anow\n"), std::string::npos)
          << text;
    }
  }
}

}  // namespace
}  // namespace reach::format
