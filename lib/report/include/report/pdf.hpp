#pragma once
// --format pdf: the HTML report printed by headless Chromium when installed
// (/usr/bin/chromium, or $OPSKIT_CHROMIUM). No network, a throw-away profile.
#include <optional>
#include <string>

namespace opskit::report {

// Path of the Chromium binary, or nullopt when not installed.
std::optional<std::string> find_chromium();
// Prints `html` to PDF bytes; throws NetworkError-free Error(data) when
// Chromium is missing (exit 3) and InternalError when it fails.
std::string html_to_pdf(const std::string& html);

}  // namespace opskit::report
