#pragma once
// Writers of `reach check --dnsbl` results, in check's three styles: a text table, NDJSON
// (docs/JSON.md), or a Nagios plugin report.
#include <ostream>
#include <vector>

#include "model/dnsbl.hpp"

namespace reach::format {

const char* dnsbl_status_word(model::DnsblStatus s);  // listed not-listed error

void write_dnsbl_text(std::ostream& out, const std::vector<model::DnsblOutcome>& rows, const model::DnsblSummary& s);
void write_dnsbl_json(std::ostream& out, const std::vector<model::DnsblOutcome>& rows, const model::DnsblSummary& s);
// CRITICAL when an address is listed, else UNKNOWN when a zone did not tell, else OK. Returns
// the plugin exit code.
int write_dnsbl_nagios(std::ostream& out, const std::vector<model::DnsblOutcome>& rows, const model::DnsblSummary& s);

}  // namespace reach::format
