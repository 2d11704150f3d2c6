#include "tools/geo_option.hpp"

#include "io/geo_db.hpp"

namespace reach::tools {

bool open_geo(const GeoOptions& o, const std::string& cmd, std::ostream& err, format::GeoOf& out) {
  out = nullptr;
  if (!o.on && o.files.empty()) return true;
  auto paths = o.files.empty() ? io::GeoDb::default_paths() : o.files;
  if (paths.empty()) {
    err << cmd << ": --geo: no MaxMind database (*.mmdb) in " << io::GeoDb::default_dirs_text()
        << "; going on without (--geo-db FILE names one)\n";
    return true;
  }
  auto db = io::GeoDb::open(paths);
  if (!db) {
    // A file the user named is a wrong argument; one found by searching is only not usable.
    err << cmd << ": --geo" << (o.files.empty() ? "" : "-db") << ": " << db.error().message() << '\n';
    return o.files.empty();
  }
  auto shared = std::make_shared<io::GeoDb>(std::move(*db));
  out = [shared](const IpAddr& a) { return shared->lookup(a); };
  return true;
}

}  // namespace reach::tools
