# screen's outside-data parsers and the normaliser (only when the screen module is in the build).
if(TARGET opskit_screen)
  foreach(t ofac un_xml uk_csv eu normalize)
    opskit_fuzz_target(screen_${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/screen_${t}.cpp LINKS opskit_screen
                       CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/screen_${t})
  endforeach()
endif()
