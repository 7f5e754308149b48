opskit_fuzz_target(report_template SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/report_template.cpp LINKS opskit_report
                   CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/report_template)
opskit_fuzz_target(report_values SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/report_values.cpp LINKS opskit_report
                   CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/report_values)
