# Build helpers: one library target per component, one gtest binary per component.
#
#   concord_cc_library(NAME foo SRCS a.cc HDRS a.h DEPS concord_common OpenSSL::Crypto)
#     -> target concord_foo (static), includes by full path "concord/...".
#   concord_cc_test(NAME foo_test SRCS a_test.cc DEPS concord_foo)
#     -> gtest binary registered with ctest (label "unit" unless LABELS given).

set(CONCORD_TESTDATA_DIR ${PROJECT_SOURCE_DIR}/testdata)

function(concord_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;HDRS;DEPS;PUBLIC_DEPS" ${ARGN})
  set(target concord_${ARG_NAME})
  if(ARG_SRCS)
    add_library(${target} STATIC ${ARG_SRCS} ${ARG_HDRS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    # A static library's PRIVATE dependencies still reach the final link (CMake
    # adds them to the interface as $<LINK_ONLY:...>) without their headers
    # becoming part of what dependents may use.
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  else()
    add_library(${target} INTERFACE ${ARG_HDRS})
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC_DEPS} ${ARG_DEPS})
  endif()
  # What the target's headers expose; scripts/check_deps.py reads it.
  set_property(TARGET ${target} PROPERTY CONCORD_PUBLIC_DEPS ${ARG_PUBLIC_DEPS})
endfunction()

# Unit-test compile settings. scripts/test.sh's sanitizer build compiles test
# code (not the code under test) at -O0 and with one precompiled header of
# gtest/gmock: test code is half of that build's compile time and gains
# nothing from optimization. Off by default: ccache does not cache TUs that use
# a precompiled header.
set(CONCORD_UNIT_TEST_FLAGS "" CACHE STRING "Extra compile flags for unit-test sources, e.g. -O0")
option(CONCORD_UNIT_TEST_PCH "Precompile gtest/gmock once for every unit-test binary" OFF)
if(CONCORD_BUILD_TESTS AND CONCORD_BUILD_UNIT_TESTS AND CONCORD_UNIT_TEST_PCH)
  file(WRITE ${PROJECT_BINARY_DIR}/concord_test_pch.cc "// The target that builds the unit tests' precompiled header.\n")
  add_library(concord_test_pch OBJECT ${PROJECT_BINARY_DIR}/concord_test_pch.cc)
  target_link_libraries(concord_test_pch PRIVATE GTest::gmock GTest::gtest)
  target_compile_options(concord_test_pch PRIVATE ${CONCORD_UNIT_TEST_FLAGS})
  target_precompile_headers(concord_test_pch PRIVATE <gmock/gmock.h> <gtest/gtest.h>)
endif()

function(concord_cc_test)
  if(NOT CONCORD_BUILD_TESTS OR NOT CONCORD_BUILD_UNIT_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_compile_options(${ARG_NAME} PRIVATE ${CONCORD_UNIT_TEST_FLAGS})
  if(TARGET concord_test_pch)
    target_precompile_headers(${ARG_NAME} REUSE_FROM concord_test_pch)
  endif()
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} concord_testing GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    CONCORD_TESTDATA_DIR="${CONCORD_TESTDATA_DIR}"
    CONCORD_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
endfunction()
