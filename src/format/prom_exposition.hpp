#pragma once
// A small writer of the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0.0, for
// watch's /metrics and /probe. Sources: prometheus.io/docs/instrumenting/exposition_formats
// (0.0.4), the OpenMetrics 1.0 specification, and client_golang/expfmt as the reference
// behaviour (what Prometheus scrapes every day):
//   - values formatted like Go's strconv.FormatFloat(v, 'g', -1, 64) ("64", "0.001",
//     "3.93238771e+08", "NaN", "+Inf"); OpenMetrics adds ".0" to integers ("1.0", "64.0");
//   - label values escape \ " and newline; HELP escapes \ and newline (OpenMetrics also ");
//   - counters: the sample is NAME_total; the 0.0.4 HELP/TYPE lines name NAME_total, the
//     OpenMetrics ones NAME (the family); OpenMetrics ends with "# EOF";
//   - a family without samples is not written (as a client_golang vector with no children).
// Units are the caller's: base units only (seconds, bytes, ratios 0..1), as Prometheus asks.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace reach::format::prom {

enum class Format : unsigned char { text, openmetrics };

// The Content-Type to answer with and the body format, from a request's Accept header, chosen
// as client_golang's expfmt.NegotiateIncludingOpenMetrics does: clauses by descending q (q=0
// excluded), specific types before wildcards; the first of text/plain (version 0.0.4 or none),
// application/openmetrics-text (version 1.0.0, 0.0.1 or none) wins; else text 0.0.4.
struct Negotiated {
  Format format = Format::text;
  std::string_view content_type;
};
Negotiated negotiate(std::string_view accept);

inline constexpr std::string_view kContentTypeText = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kContentTypeOpenMetrics1 = "application/openmetrics-text; version=1.0.0; charset=utf-8";
inline constexpr std::string_view kContentTypeOpenMetrics0 = "application/openmetrics-text; version=0.0.1; charset=utf-8";

enum class Type : unsigned char { gauge, counter, summary };
using Labels = std::vector<std::pair<std::string, std::string>>;
struct Sample {
  Sample() = default;
  Sample(Labels l, double v, std::string sfx = {}) : labels(std::move(l)), value(v), suffix(std::move(sfx)) {}
  Labels labels;
  double value = 0;
  std::string suffix;  // summaries only: "" (a quantile-labelled sample), "_sum" or "_count"
};
// A counter's name is given without "_total" (the writer adds it). A summary lists its
// quantile samples (label "quantile") and one "_sum" and one "_count" sample per label set.
struct Family {
  std::string name;
  Type type = Type::gauge;
  std::string help;
  std::vector<Sample> samples;
};

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name);
// Go's strconv.FormatFloat(v, 'g', -1, 64), with NaN/+Inf/-Inf spelled as Prometheus does.
std::string go_float(double v);
std::string escape_label_value(std::string_view v);

// Every name valid, counters not already ending in _total, no label name twice in a sample,
// suffixes only on summaries;
// the first problem, or nothing.
Result<void> check(const std::vector<Family>& families);
// The whole body (families in the given order), or the problem check() found.
Result<std::string> render(const std::vector<Family>& families, Format format);

}  // namespace reach::format::prom
