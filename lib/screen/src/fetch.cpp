// libcurl downloads with conditional requests and retries.
#include "screen/fetch.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.hpp"
#include "core/libcurl.hpp"
#include "core/text.hpp"

namespace fs = std::filesystem;

namespace opskit::screen {
namespace {

size_t write_body(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::ofstream*>(user);
  out->write(data, static_cast<std::streamsize>(size * n));
  return *out ? size * n : 0;  // a short count makes libcurl fail the transfer (disk full)
}

size_t read_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto* etag = static_cast<std::string*>(user);
  if (line.rfind("HTTP/", 0) == 0) etag->clear();  // a new response (after a redirect)
  if (text::starts_with_icase(line, "etag:")) *etag = std::string(text::trim(line.substr(5)));
  return size * n;
}

std::string file_name(const std::string& url) {
  std::string path = url.substr(0, url.find('?'));
  std::string name = path.substr(path.rfind('/') + 1);
  return name.empty() ? "list" : name;
}

enum class Outcome { fetched, not_modified, retry };

// One download. A transient failure returns retry with `error` set; a
// permanent one (HTTP 4xx, a bad URL, a TLS certificate error) throws.
Outcome fetch_one(const std::string& url, const fs::path& target, const FetchOptions& o, std::string& error) {
  fs::path etag_file = target.string() + ".etag";
  const bool cached = fs::exists(target);
  std::string old_etag;
  if (cached && fs::exists(etag_file)) old_etag = std::string(text::trim(text::read_file(etag_file.string())));
  fs::path tmp = target.string() + ".part";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw DataError("cannot write " + tmp.string());
  const Libcurl& lib = libcurl();
  CURL* curl = lib.easy_init();
  if (!curl) throw NetworkError("cannot initialise libcurl");
  std::string etag;
  char errbuf[CURL_ERROR_SIZE] = {0};
  struct curl_slist* headers = nullptr;
  if (!old_etag.empty()) headers = lib.slist_append(headers, ("If-None-Match: " + old_etag).c_str());
  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  lib.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  lib.easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, &out);
  lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
  lib.easy_setopt(curl, CURLOPT_HEADERDATA, &etag);
  lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  lib.easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(o.timeout_seconds));
  lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  lib.easy_setopt(curl, CURLOPT_USERAGENT, "opskit-screen/0.1");
  lib.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  lib.easy_setopt(curl, CURLOPT_FILETIME, 1L);  // the server's Last-Modified becomes the cached file's mtime
  lib.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
  if (!o.ca_file.empty()) lib.easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
  if (cached) {
    // Also sent beside If-None-Match: a server that dropped ETags still answers 304.
    lib.easy_setopt(curl, CURLOPT_TIMECONDITION, static_cast<long>(CURL_TIMECOND_IFMODSINCE));
    auto mtime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::file_clock::to_sys(fs::last_write_time(target)).time_since_epoch());
    lib.easy_setopt(curl, CURLOPT_TIMEVALUE, static_cast<long>(mtime.count()));
  }
  CURLcode rc = lib.easy_perform(curl);
  long status = 0;
  curl_off_t filetime = -1;
  lib.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  lib.easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
  lib.slist_free_all(headers);
  lib.easy_cleanup(curl);
  out.close();
  std::error_code ec;
  if (rc != CURLE_OK) {
    fs::remove(tmp, ec);
    error = url + ": " + (errbuf[0] ? errbuf : lib.easy_strerror(rc));
    // Certificate, URL and protocol errors do not heal by retrying.
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_URL_MALFORMAT ||
        rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_SSL_CERTPROBLEM)
      throw NetworkError(error);
    return Outcome::retry;  // includes CURLE_PARTIAL_FILE: a body shorter than its Content-Length
  }
  if (status == 304) {
    fs::remove(tmp, ec);
    return Outcome::not_modified;
  }
  if (status >= 500 || status == 429 || status == 408) {
    fs::remove(tmp, ec);
    error = url + ": HTTP " + std::to_string(status);
    return Outcome::retry;
  }
  if (status != 200) {
    fs::remove(tmp, ec);
    throw NetworkError(url + ": HTTP " + std::to_string(status));
  }
  if (filetime > 0)
    fs::last_write_time(tmp, std::chrono::file_clock::from_sys(std::chrono::sys_seconds(std::chrono::seconds(filetime))), ec);
  fs::rename(tmp, target);
  if (!etag.empty()) text::write_file_atomic(etag_file.string(), etag + "\n");
  else fs::remove(etag_file, ec);
  return Outcome::fetched;
}

}  // namespace

std::vector<ListSource> default_sources() {
  const std::string ofac = "https://www.treasury.gov/ofac/downloads/";
  return {
      {"ofac_sdn", {ofac + "sdn.csv", ofac + "alt.csv", ofac + "add.csv", ofac + "sdn_comments.csv"}},
      {"ofac_cons",
       {ofac + "consolidated/cons_prim.csv", ofac + "consolidated/cons_alt.csv", ofac + "consolidated/cons_add.csv",
        ofac + "consolidated/cons_comments.csv"}},
      {"un", {"https://scsanctions.un.org/resources/xml/en/consolidated.xml"}},
      {"uk", {"https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv"}},
      {"eu", {"https://webgate.ec.europa.eu/fsd/fsf/public/files/csvFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw"}},
  };
}

FetchResult fetch_list(const ListSource& source, const std::string& cache_dir, const FetchOptions& options) {
  libcurl();  // a missing libcurl ends the run before any file is touched
  fs::path dir = fs::path(cache_dir) / source.list;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError("cannot create cache directory " + dir.string() + ": " + ec.message());
  FetchResult result;
  const int attempts = std::max(1, options.attempts);
  for (const auto& url : source.urls) {
    // The UK and EU files keep a fixed local name so the format is recognised.
    std::string name = source.list == "eu" ? "eu_sanctions.csv" : source.list == "uk" ? "uk_sanctions.csv" : file_name(url);
    fs::path target = dir / name;
    std::string error;
    Outcome got = Outcome::retry;
    double delay = options.retry_delay;
    for (int attempt = 0; attempt < attempts && got == Outcome::retry; ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(delay));
        delay *= 2;
      }
      got = fetch_one(url, target, options, error);
    }
    if (got == Outcome::retry)
      throw NetworkError("download failed after " + std::to_string(attempts) + " attempts: " + error);
    if (got == Outcome::fetched) result.modified = true;
    if (result.path.empty()) result.path = target.string();
  }
  return result;
}

}  // namespace opskit::screen
