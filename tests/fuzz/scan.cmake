# scan: the parsers of outside data (response headers, cookies, CSP, HAR, dpkg/apt package indexes).
if(TARGET opskit_scan)
  foreach(p headers cookie csp har packages)
    opskit_fuzz_target(scan_${p} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/scan_${p}.cpp LINKS opskit_scan
                       CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/scan_${p})
  endforeach()
endif()
