#!/usr/bin/env bash
# The bash completion offers reach's commands and each command's options, read from the
# binary's --help; the zsh one at least parses. check_completion.sh REACH_BIN COMPLETION_DIR
set -uo pipefail  # no -e: the completion function runs as bash runs it, without errexit
reach=${1:?reach binary} dir=${2:?completion dir}
failed=0
source "$dir/reach.bash"
complete_line() {  # words of the line, the last one being completed -> COMPREPLY
  COMP_WORDS=("$reach" "$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _reach
}
expect() {  # expect "WORD..." -- line...
  local want=$1; shift
  complete_line "$@"
  local got=" ${COMPREPLY[*]} " w
  for w in $want; do
    [[ $got == *" $w "* ]] || { echo "FAIL: reach $* <TAB> lacks $w: $got"; failed=1; }
  done
}
expect "ping trace scan sockets check" ""
expect "scan sockets" s
expect "--count --interval --json" ping --
expect "--no-progress" scan --no
expect "--cacert" check -k --ca
expect "--version --help" --
complete_line ping 198.18.1.2 -c ""   # an option's value: no option names offered
[ ${#COMPREPLY[@]} -eq 0 ] || { echo "FAIL: offered ${COMPREPLY[*]} for a value"; failed=1; }
if command -v zsh >/dev/null; then zsh -n "$dir/_reach" || { echo "FAIL: zsh -n _reach"; failed=1; }; fi
[ $failed -eq 0 ] && echo "completion ok"
exit $failed
