# Writes every target's sources and declared link dependencies to
# ${PROJECT_BINARY_DIR}/target_graph.tsv, for scripts/check_deps.py (the ctest
# `declared_deps`): one line per target,
#   name <TAB> type <TAB> source dir <TAB> sources <TAB> LINK_LIBRARIES <TAB> INTERFACE_LINK_LIBRARIES <TAB> public deps
# with list items separated by "|". Generator expressions are written as CMake
# holds them (for example $<LINK_ONLY:OpenSSL::Crypto>).

function(_concord_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _concord_collect_targets(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(concord_write_target_graph)
  _concord_collect_targets(${PROJECT_SOURCE_DIR} targets)
  set(lines "")
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "UTILITY")
      continue()
    endif()
    get_target_property(source_dir ${target} SOURCE_DIR)
    foreach(property SOURCES INTERFACE_SOURCES LINK_LIBRARIES INTERFACE_LINK_LIBRARIES
                     CONCORD_PUBLIC_DEPS)
      get_target_property(value ${target} ${property})
      if(NOT value)
        set(value "")
      endif()
      string(REPLACE ";" "|" value_${property} "${value}")
    endforeach()
    set(sources "${value_SOURCES}")
    if(value_INTERFACE_SOURCES)
      if(sources)
        string(APPEND sources "|")
      endif()
      string(APPEND sources "${value_INTERFACE_SOURCES}")
    endif()
    set(link "${value_LINK_LIBRARIES}")
    set(interface_link "${value_INTERFACE_LINK_LIBRARIES}")
    set(public "${value_CONCORD_PUBLIC_DEPS}")
    string(APPEND lines "${target}\t${type}\t${source_dir}\t${sources}\t${link}\t${interface_link}\t${public}\n")
  endforeach()
  file(WRITE ${PROJECT_BINARY_DIR}/target_graph.tsv "${lines}")
endfunction()
