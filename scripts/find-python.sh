#!/usr/bin/env bash
# Prints the path of a working Python 3.10: python3.10 on PATH, else a pyenv-installed 3.10.
# Exits 1 with what to install when there is none.
set -u
works() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do candidates+=("$p"); done
fi
for p in "${HOME:-/root}"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  candidates+=("$p")
done
for c in "${candidates[@]}"; do
  if [ -x "$c" ] && works "$c"; then echo "$c"; exit 0; fi
done
echo "Fusion needs Python 3.10 (Rasa 3.6 supports 3.8-3.10). Install it, e.g. 'apt-get install python3.10 python3.10-venv' or 'pyenv install 3.10', then run make again." >&2
exit 1
