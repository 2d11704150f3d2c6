# bash completion for reach. Commands and options are read from the binary's own help
# (`reach --help`, `reach CMD --help`) at TAB time, so they always match the installed version.

# Prints the option names of a CLI11 help text on stdin: "  -c,--count UINT  ..." -> -c --count
_reach_options() {
  sed -n 's/^  \(-[^ ]*\).*/\1/p' | sed 's/{[a-z]*}$//' | tr ',' '\n'
}

# Prints the command names listed under "Subcommands:" of `reach --help` on stdin.
_reach_commands() {
  sed -n '/^Subcommands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

_reach() {
  local cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]} cmd= i words
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
  done
  if [[ -z $cmd && $cur != -* ]]; then
    words=$(LC_ALL=C "$prog" --help 2>/dev/null | _reach_commands)
  elif [[ $cur == -* ]]; then
    words=$(LC_ALL=C "$prog" ${cmd:+"$cmd"} --help 2>/dev/null | _reach_options)
  else
    # An operand or an option's value: a host, a port list, a file. Offer files.
    compopt -o default 2>/dev/null
    COMPREPLY=()
    return 0
  fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _reach reach
