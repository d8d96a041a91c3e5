#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# picamsync.conf(5) documents exactly the variables the daemons read. A variable is a string
# literal that is only a PICAMSYNC_… or TIME_SYNC_… name. The page's scdoc source holds each
# setting as a line "*NAME=*_kind_" with its text indented below it, ending in "Default: …";
# check-man.sh renders the built page.
set -uo pipefail
cd "$1"
page=man/picamsync.conf.5.scd
bad=0
read_by_code=$(grep -rhoE '"(PICAMSYNC|TIME_SYNC)_[A-Z0-9_]+"' clockd camerad webd daemons \
    --include='*.[ch]' | tr -d '"' | sort -u)
documented=$(sed -nE 's/^\*((PICAMSYNC|TIME_SYNC)_[A-Z0-9_]+)=\*.*/\1/p' "$page" | sort -u)
for v in $(comm -23 <(echo "$read_by_code") <(echo "$documented")); do
    echo "$v is read by a daemon but not described in $page"
    bad=1
done
for v in $(comm -13 <(echo "$read_by_code") <(echo "$documented")); do
    echo "$v is described in $page but no daemon reads it"
    bad=1
done
# The commented file the package installs lists every variable, each with the default the
# page gives when that is a number or a word (the page says what an empty value means).
conf=conf/picamsync.conf
listed=$(sed -nE 's/^#((PICAMSYNC|TIME_SYNC)_[A-Z0-9_]+)=.*/\1/p' "$conf" | sort)
if [[ $listed != "$documented" ]]; then
    echo "$conf does not list exactly the variables of $page:"
    diff <(echo "$documented") <(echo "$listed") | sed -n 's/^[<>]/  &/p'
    bad=1
fi
while read -r name value; do
    default=$(awk -v n="$name" '$0 ~ "^\\*" n "=\\*" {f = 1} f && /^\tDefault: / {print $2; exit}' \
        "$page" | sed 's/[;,]$//')
    if [[ $default =~ ^[0-9]+$|^/ || $default == auto || $default == info || $default == ap0 ]] &&
        [[ $value != "$default" ]]; then
        echo "$conf: $name=$value, but $page gives the default $default"
        bad=1
    fi
done < <(sed -nE 's/^#((PICAMSYNC|TIME_SYNC)_[A-Z0-9_]+)=(.*)/\1 \3/p' "$conf")
[[ $bad == 0 ]] && echo "$conf: every variable, with its default"
[[ $bad == 0 ]] && echo "$page: $(echo "$documented" | wc -l) variables, all read, all described"
exit $bad
