# Writes reach.1 and one reach-CMD.1 per command, gzipped, from the built binary's own --help
# (through help2man), so the man pages can never drift from the options. The command list is
# read from `reach --help` too: a new command gets its page without touching this file.
#   cmake -DREACH=<binary> -DHELP2MAN=<help2man> -DVERSION=<x.y.z> -DSRCDOCS=<source docs/>
#         -DDOCDIR=<installed doc dir> -DOUT=<dir> -P ReachManPages.cmake
foreach(var REACH HELP2MAN VERSION SRCDOCS DOCDIR OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ReachManPages.cmake: -D${var}= is required")
  endif()
endforeach()

execute_process(COMMAND ${REACH} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${REACH} --help failed (${rc})")
endif()
# CLI11 lists "  NAME   description" under "Subcommands:".
string(REGEX REPLACE "^.*\nSubcommands:\n" "" section "${help}")
string(REPLACE ";" "," section "${section}")
string(REPLACE "\n" ";" lines "${section}")
set(commands)
foreach(line IN LISTS lines)
  if(line MATCHES "^  ([a-z][a-z-]*) +(.+)$")
    list(APPEND commands ${CMAKE_MATCH_1})
    set(desc_${CMAKE_MATCH_1} "${CMAKE_MATCH_2}")
  endif()
endforeach()
if(NOT commands)
  message(FATAL_ERROR "no commands found in `${REACH} --help`")
endif()

file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
# help2man dates the page from SOURCE_DATE_EPOCH when set (reproducible builds).
function(page name help_option description see_also doc)
  if(doc AND EXISTS ${SRCDOCS}/${doc})
    set(more "The full description, with the choices made where peer tools differ: ${DOCDIR}/docs/${doc}.")
  else()
    set(more "The documents of each command are in ${DOCDIR}/docs.")
  endif()
  file(WRITE ${OUT}/${name}.h2m "[SEE ALSO]\n${see_also}\n.PP\n${more}\n")
  execute_process(
    COMMAND ${HELP2MAN} --no-info --section=1 "--version-string=${name} ${VERSION}"
            "--help-option=${help_option}" "--name=${description}"
            "--include=${OUT}/${name}.h2m" "--output=${OUT}/${name}.1" ${REACH}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "help2man failed for ${name}")
  endif()
  file(REMOVE ${OUT}/${name}.h2m)
  # CLI11 shows a negated flag's default as "--no-progress{false}": not for readers.
  file(READ ${OUT}/${name}.1 text)
  string(REGEX REPLACE "\\{(true|false)\\}" "" text "${text}")
  file(WRITE ${OUT}/${name}.1 "${text}")
  execute_process(COMMAND gzip -9nf ${OUT}/${name}.1 RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip failed for ${name}.1")
  endif()
endfunction()

set(all_pages)
foreach(cmd IN LISTS commands)
  list(APPEND all_pages "\\fBreach-${cmd}\\fR(1)")
endforeach()
list(JOIN all_pages ", " all_pages)
page(reach "--help" "network reachability toolkit" "${all_pages}" "")
foreach(cmd IN LISTS commands)
  string(TOUPPER ${cmd} doc)
  page(reach-${cmd} "${cmd} --help" "${desc_${cmd}}" "\\fBreach\\fR(1)" ${doc}.md)
endforeach()
