#include <catch2/catch.hpp>

#include "app/app.hpp"

using namespace opskit;

TEST_CASE("ledger arguments redact secrets") {
  CHECK(app::redact_arguments({"batch", "--db", "postgresql://u:hunter2@h/db", "--token", "abc", "--header=Authorization: x"}) ==
        "batch --db postgresql://u:***@h/db --token *** --header=***");
  CHECK(app::redact_arguments({"--db", "host=/s user=u password=pw dbname=d"}) == "--db host=/s user=u password=*** dbname=d");
}

TEST_CASE("bash and zsh completion come from the command tree") {
  app::Tool tool("demo", "demo tool");
  std::string from;
  tool.add({{"lists", "update"}, "update lists"}, [&](CLI::App& c) { c.add_option("--from", from, "path"); }, nullptr);
  tool.add({{"lists", "show"}, "show lists"}, nullptr, nullptr);
  std::string bash = app::completion_script(tool.cli(), "bash");
  CHECK(bash.find("\"lists update\") COMPREPLY=($(compgen -W \"--help -h --from\"") != std::string::npos);
  CHECK(bash.find("complete -o default -F _opskit_demo demo") != std::string::npos);
  std::string zsh = app::completion_script(tool.cli(), "zsh");
  CHECK(zsh.find("#compdef demo") == 0);
  CHECK(zsh.find("'update' 'show'") != std::string::npos);
}
