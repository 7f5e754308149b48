#include "report/pdf.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/text.hpp"

namespace opskit::report {
namespace fs = std::filesystem;

std::optional<std::string> find_chromium() {
  if (const char* env = std::getenv("OPSKIT_CHROMIUM"); env && *env) {
    if (::access(env, X_OK) == 0) return std::string(env);
    return std::nullopt;
  }
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (::access(p, X_OK) == 0) return std::string(p);
  return std::nullopt;
}

std::string html_to_pdf(const std::string& html) {
  auto chromium = find_chromium();
  if (!chromium) throw DataError("--format pdf needs Chromium (Debian package 'chromium'), which is not installed; use --format html");
  std::string tmpl = (fs::temp_directory_path() / "opskit-report-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw InternalError("cannot create a temporary directory for the PDF");
  const fs::path dir = tmpl;
  struct Cleanup {
    fs::path d;
    ~Cleanup() { std::error_code ec; fs::remove_all(d, ec); }
  } cleanup{dir};
  text::write_file_atomic((dir / "report.html").string(), html);
  const std::string pdf = (dir / "report.pdf").string();
  std::vector<std::string> args = {*chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                   "--disable-background-networking", "--no-first-run", "--disable-component-update",
                                   "--disable-sync", "--user-data-dir=" + (dir / "profile").string(),
                                   "--no-pdf-header-footer", "--print-to-pdf=" + pdf,
                                   "file://" + (dir / "report.html").string()};
  pid_t pid = ::fork();
  if (pid < 0) throw InternalError("fork failed while starting Chromium");
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Chromium is chatty on stderr; the report's own stdout must stay clean.
    if (FILE* f = std::freopen("/dev/null", "w", stdout)) (void)f;
    if (FILE* f = std::freopen("/dev/null", "w", stderr)) (void)f;
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(pdf))
    throw InternalError("Chromium failed to print the PDF (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  return text::read_file(pdf);
}

}  // namespace opskit::report
