// The dashboard's server-rendered pages: escaped, complete without JavaScript, no inline script
// or style (the Content-Security-Policy allows only the server's own files).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "format/dashboard.hpp"
#include "format/wall_time.hpp"

namespace reach::format {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string url_segment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Down first when sorting by state: what a person looks for.
int state_rank(std::string_view s) { return s == "down" ? 0 : s == "unknown" ? 1 : 2; }

std::string ms_text(const std::optional<TimeNs>& ns) {
  return ns ? fmt::format("{:.3f} ms", static_cast<double>(*ns) / 1e6) : "-";
}

std::string since_text(TimeNs wall) {
  if (wall <= 0) return "-";
  std::string t = rfc3339_nano(wall - wall % kNsPerSec);  // whole seconds are enough here
  t[10] = ' ';
  return t;
}

const char* kHead =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<link rel=\"stylesheet\" href=\"/assets/dash.css\">";

}  // namespace

std::vector<DashRow> dashboard_select(std::vector<DashRow> rows, std::string_view filter, std::string_view sort,
                                      bool desc) {
  const std::string f = lower(filter);
  if (!f.empty())
    std::erase_if(rows, [&](const DashRow& r) { return lower(r.name).find(f) == std::string::npos; });
  auto key_less = [&](const DashRow& a, const DashRow& b) -> int {  // -1, 0, 1
    auto cmp = [](auto x, auto y) { return x < y ? -1 : y < x ? 1 : 0; };
    if (sort == "probe") return cmp(a.probe, b.probe);
    if (sort == "state") return cmp(state_rank(a.state), state_rank(b.state));
    if (sort == "since") return cmp(a.since_wall, b.since_wall);
    if (sort == "loss") return cmp(a.loss, b.loss);
    if (sort == "median") {  // rows without a median last
      if (a.median.has_value() != b.median.has_value()) return a.median ? -1 : 1;
      return a.median ? cmp(*a.median, *b.median) : 0;
    }
    return 0;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const DashRow& a, const DashRow& b) {
    int k = key_less(a, b);
    if (k == 0) k = a.name < b.name ? -1 : b.name < a.name ? 1 : 0;
    return desc ? k > 0 : k < 0;
  });
  return rows;
}

std::string dashboard_overview_html(const std::vector<DashRow>& rows, std::string_view filter,
                                    std::string_view sort, bool desc) {
  std::string h = kHead;
  h += "<title>reach watch</title><script src=\"/assets/overview.js\" defer></script></head>\n<body>\n";
  h += "<h1>reach watch</h1>\n<form method=\"get\" action=\"/\" id=\"controls\">"
       "<input type=\"search\" name=\"q\" id=\"filter\" placeholder=\"filter by name\" value=\"" +
       html_escape(filter) + "\"><input type=\"hidden\" name=\"sort\" value=\"" + html_escape(sort) +
       "\"><button type=\"submit\">Filter</button> <span id=\"status\"></span></form>\n";
  h += "<table id=\"targets\"><thead><tr>";
  static const char* kTitles[] = {"Target", "Probe", "State", "Since", "Median RTT", "Loss"};
  for (std::size_t i = 0; i < std::size(kDashSortKeys); ++i) {
    const bool on = kDashSortKeys[i] == sort;
    h += fmt::format("<th data-key=\"{0}\"{3}><a href=\"/?sort={0}{1}&amp;q={2}\">{4}</a></th>", kDashSortKeys[i],
                     on && !desc ? "&amp;desc=1" : "", html_escape(url_segment(filter)),
                     on ? (desc ? " aria-sort=\"descending\"" : " aria-sort=\"ascending\"") : "", kTitles[i]);
  }
  h += "<th>Recent</th></tr></thead>\n<tbody>\n";
  for (const DashRow& r : rows) {
    h += fmt::format(
        "<tr class=\"state-{0}\" data-name=\"{1}\"><td class=\"name\"><a href=\"/targets/{2}\">{1}</a></td>"
        "<td>{3}</td><td class=\"state\">{0}</td><td>{4}</td><td class=\"num\">{5}</td>"
        "<td class=\"num\">{6:.1f} %</td><td class=\"spark\" title=\"{7}\">{8}</td></tr>\n",
        html_escape(r.state), html_escape(r.name), html_escape(url_segment(r.name)), html_escape(r.probe),
        since_text(r.since_wall), ms_text(r.median), r.loss * 100, html_escape(r.reason), html_escape(r.sparkline));
  }
  h += fmt::format("</tbody></table>\n<p class=\"foot\">{} targets · <a href=\"/metrics\">/metrics</a> · "
                   "<a href=\"/api/v1/targets\">/api/v1/targets</a></p>\n</body></html>\n",
                   rows.size());
  return h;
}

std::string dashboard_rows_json(const std::vector<DashRow>& rows) {
  nlohmann::json list = nlohmann::json::array();
  for (const DashRow& r : rows) {
    nlohmann::json j{{"name", r.name},   {"probe", r.probe},         {"state", r.state},
                     {"loss_ratio", r.loss}, {"sparkline", r.sparkline}, {"reason", r.reason}};
    j["since"] = r.since_wall > 0 ? nlohmann::json(unix_seconds(r.since_wall)) : nlohmann::json(nullptr);
    if (r.median) j["median_rtt_seconds"] = unix_seconds(*r.median);
    list.push_back(std::move(j));
  }
  // Names come from a YAML file: replace invalid UTF-8 rather than throw.
  return nlohmann::json{{"targets", list}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string dashboard_target_html(const DashRow& row, bool paths) {
  const std::string name = html_escape(row.name);
  std::string h = kHead;
  h += "<title>" + name + " · reach watch</title><script src=\"/assets/chart.min.js\" defer></script>"
       "<script src=\"/assets/target.js\" defer></script></head>\n";
  h += fmt::format("<body data-target=\"{}\">\n<p><a href=\"/\">all targets</a></p>\n<h1>{}</h1>\n", name, name);
  h += fmt::format("<p class=\"state-{0}\">{1} · state <span class=\"state\">{0}</span> since {2} · median {3} · "
                   "loss {4:.1f} %{5}</p>\n",
                   html_escape(row.state), html_escape(row.probe), since_text(row.since_wall), ms_text(row.median),
                   row.loss * 100, row.reason.empty() ? "" : " · " + html_escape(row.reason));
  h += "<noscript><p>The graphs need JavaScript; the history is at /api/v1/targets/NAME/series.</p></noscript>\n"
       "<p class=\"hint\">Drag across a graph to zoom in, double-click to zoom out. Median coloured by loss "
       "(green none, blue to violet some, red all), grey smoke: the spread of the RTTs; triangles mark "
       "state changes and alerts.</p>\n";
  for (const DashRange& r : dashboard_ranges())
    h += fmt::format("<section class=\"graph\" data-range=\"{0}\"><h2>last {0}</h2><div class=\"box\">"
                     "<canvas id=\"g{0}\"></canvas></div><p class=\"info\"></p></section>\n",
                     r.name);
  if (paths) {
    // Filled by target.js from /api/v1/targets/NAME/path; the form asks for a trace without it.
    const std::string api = "/api/v1/targets/" + html_escape(url_segment(row.name)) + "/path";
    h += fmt::format(
        "<section id=\"path\" data-api=\"{0}\"><h2>path</h2>\n<form method=\"post\" action=\"{0}\">"
        "<button type=\"submit\" id=\"trace\">Trace now</button> <span class=\"info\" id=\"path-info\"></span>"
        "</form>\n<table id=\"hops\"><thead><tr><th>TTL</th><th>last path while up</th><th>last trace</th>"
        "<th>change</th></tr></thead><tbody></tbody></table>\n<noscript><p>The paths as JSON: <a href=\"{0}\">{0}</a>"
        "</p></noscript></section>\n",
        api);
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace reach::format
