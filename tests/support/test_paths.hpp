#pragma once
// Paths the tests need: the source tree, the build tree, ../shared/data, and
// fresh temporary directories.
#include <set>
#include <string>

namespace opskit::test {

std::string source_dir();
std::string binary_dir();
std::string bin(const std::string& tool);  // build/bin/TOOL
// ../shared/data/SUB beside the checkout, or empty when absent (tests skip with a message).
std::string shared_data(const std::string& sub);
// A new empty directory under the build tree, removed at exit.
std::string temp_dir(const std::string& hint = "t");

// A port on 127.0.0.1 that was free a moment ago (the kernel picks it).
int free_loopback_port();
// Whether something accepts connections on 127.0.0.1:PORT.
bool loopback_port_open(int port);

// Runs a shell command; returns its exit code and captures stdout/stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};
CommandResult run_command(const std::string& command, const std::string& stdin_text = {});
// The shared libraries a command loaded, by the names asked for (e.g.
// "libpq.so.5"): runs it with the dynamic loader's LD_DEBUG=files trace on
// stderr. Fails the test when the command fails.
std::set<std::string> libraries_loaded_by(const std::string& command);

}  // namespace opskit::test
