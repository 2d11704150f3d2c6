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
  if (o.files.empty()) {
    // Found by searching: a file that does not open is skipped (with a notice), not the others.
    std::vector<std::string> good;
    for (const auto& p : paths) {
      if (auto one = io::GeoDb::open({p})) good.push_back(p);
      else err << cmd << ": --geo: " << one.error().message() << "; skipped\n";
    }
    paths = std::move(good);
    if (paths.empty()) return true;
  }
  auto db = io::GeoDb::open(paths);
  if (!db) {  // a file the user named is a wrong argument
    err << cmd << ": --geo-db: " << db.error().message() << '\n';
    return false;
  }
  auto shared = std::make_shared<io::GeoDb>(std::move(*db));
  out = [shared](const IpAddr& a) { return shared->lookup(a); };
  return true;
}

}  // namespace reach::tools
