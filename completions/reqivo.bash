# bash completion for reqivo (the command line of the reqivo HTTP client).
# Install: source this file, or copy it to /usr/share/bash-completion/completions/reqivo
_reqivo() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local flags="--help --version --form -f --multipart --json -j --print -p --verbose -v --headers -h --body -b
    --pretty --stream -S --json-lines --download -d --output -o --continue -c --auth -a --auth-type -A
    --session --session-read-only --follow -F --max-redirects --timeout --http2 --http1 --proxy --verify
    --cert --cert-key --pin --timings --check-status --offline --ignore-stdin -I --debug --quiet -q
    --binary --protocol"
  case "$prev" in
    --pretty) COMPREPLY=($(compgen -W "all colors format none" -- "$cur")); return ;;
    -A|--auth-type) COMPREPLY=($(compgen -W "basic digest bearer" -- "$cur")); return ;;
    --verify) COMPREPLY=($(compgen -W "yes no" -- "$cur") $(compgen -f -- "$cur")); return ;;
    -o|--output|--cert|--cert-key|--session) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -p|--print|-a|--auth|--max-redirects|--timeout|--proxy|--pin|--protocol) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "GET POST PUT PATCH DELETE HEAD OPTIONS ws" -- "$cur"))
  fi
}
complete -o default -F _reqivo reqivo
