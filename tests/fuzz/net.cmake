opskit_fuzz_target(net_dns SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/net_dns.cpp LINKS opskit_net
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/net_dns)
opskit_fuzz_target(net_reader SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/net_reader.cpp LINKS opskit_net
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/net_reader)
opskit_fuzz_target(net_decoder SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/net_decoder.cpp LINKS opskit_net
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/net_decoder)
opskit_fuzz_target(net_dga_model SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/net_dga_model.cpp LINKS opskit_net
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/net_dga_model)
