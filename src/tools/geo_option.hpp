#pragma once
// --geo / --geo-db of trace, scan, sockets and check: annotate addresses with country and AS from
// MaxMind DB files, never blocking the command when there is no database (docs/GEO.md).
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "format/geo_note.hpp"

namespace reach::tools {

struct GeoOptions {
  bool on = false;                 // --geo: the files of the default directories
  std::vector<std::string> files;  // --geo-db FILE (repeatable; implies --geo)
};

// The lookup for the writers: empty when --geo is off, or when no database is found in the
// default directories (one notice on err). false after printing the one line of an explicit
// --geo-db file that does not open (the caller exits 2).
bool open_geo(const GeoOptions& o, const std::string& cmd, std::ostream& err, format::GeoOf& out);

}  // namespace reach::tools
