// libcurl downloads with conditional requests and retries.
#include "screen/fetch.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <curl/curl.h>

#include "core/error.hpp"
#include "core/text.hpp"

namespace fs = std::filesystem;

namespace opskit::screen {
namespace {

size_t write_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::ofstream*>(user)->write(data, static_cast<std::streamsize>(size * n));
  return size * n;
}

size_t read_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto* etag = static_cast<std::string*>(user);
  if (text::starts_with_icase(line, "etag:")) *etag = std::string(text::trim(line.substr(5)));
  return size * n;
}

std::string file_name(const std::string& url) {
  std::string path = url.substr(0, url.find('?'));
  std::string name = path.substr(path.rfind('/') + 1);
  return name.empty() ? "list" : name;
}

// One download; returns false on a transient failure (retry), throws on a permanent one.
bool fetch_one(const std::string& url, const fs::path& target, int timeout_seconds, std::string& error) {
  fs::path etag_file = target.string() + ".etag";
  std::string old_etag;
  if (fs::exists(etag_file) && fs::exists(target)) old_etag = std::string(text::trim(text::read_file(etag_file.string())));
  fs::path tmp = target.string() + ".part";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  CURL* curl = curl_easy_init();
  if (!curl) throw NetworkError("cannot initialise libcurl");
  std::string etag;
  char errbuf[CURL_ERROR_SIZE] = {0};
  struct curl_slist* headers = nullptr;
  if (!old_etag.empty()) headers = curl_slist_append(headers, ("If-None-Match: " + old_etag).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &etag);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "opskit-screen/0.1");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (fs::exists(target) && old_etag.empty()) {
    curl_easy_setopt(curl, CURLOPT_TIMECONDITION, static_cast<long>(CURL_TIMECOND_IFMODSINCE));
    auto mtime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::file_clock::to_sys(fs::last_write_time(target)).time_since_epoch());
    curl_easy_setopt(curl, CURLOPT_TIMEVALUE, static_cast<long>(mtime.count()));
  }
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  out.close();
  if (rc != CURLE_OK) {
    fs::remove(tmp);
    error = url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return false;
  }
  if (status == 304) {
    fs::remove(tmp);
    return true;
  }
  if (status >= 500 || status == 429) {
    fs::remove(tmp);
    error = url + ": HTTP " + std::to_string(status);
    return false;
  }
  if (status != 200) {
    fs::remove(tmp);
    throw NetworkError(url + ": HTTP " + std::to_string(status));
  }
  fs::rename(tmp, target);
  if (!etag.empty()) text::write_file_atomic(etag_file.string(), etag + "\n");
  return true;
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

std::string fetch_list(const ListSource& source, const std::string& cache_dir, int timeout_seconds) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!initialised) throw NetworkError("cannot initialise libcurl");
  fs::path dir = fs::path(cache_dir) / source.list;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError("cannot create cache directory " + dir.string() + ": " + ec.message());
  std::string primary;
  for (const auto& url : source.urls) {
    // The UK and EU files keep a fixed local name so the format is recognised.
    std::string name = source.list == "eu" ? "eu_sanctions.csv" : source.list == "uk" ? "uk_sanctions.csv" : file_name(url);
    fs::path target = dir / name;
    std::string error;
    bool ok = false;
    for (int attempt = 0; attempt < 3 && !ok; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(2 << attempt));
      ok = fetch_one(url, target, timeout_seconds, error);
    }
    if (!ok) throw NetworkError("download failed after 3 attempts: " + error);
    if (primary.empty()) primary = target.string();
  }
  return primary;
}

}  // namespace opskit::screen
