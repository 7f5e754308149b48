opskit_fuzz_target(sim_graph_loader
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/sim_graph_loader.cpp
  LINKS opskit_sim
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/sim_graph_loader)
