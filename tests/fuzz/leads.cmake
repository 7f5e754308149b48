opskit_fuzz_target(leads_model
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/leads_model.cpp
  LINKS opskit_leads
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/leads_model)
