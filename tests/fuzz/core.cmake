opskit_fuzz_target(core_csv SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/core_csv.cpp LINKS opskit_core
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/core_csv)
opskit_fuzz_target(core_jsonl SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/core_jsonl.cpp LINKS opskit_core
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/core_jsonl)
opskit_fuzz_target(core_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/core_config.cpp LINKS opskit_core
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/core_config)
