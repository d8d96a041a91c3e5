#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every built manual page renders without a single warning (groff -man -ww -z prints
# nothing), as man shows it and as lintian wants it.
#   check-man.sh PAGE...    (the pages as meson built them from man/*.scd)
set -uo pipefail
bad=0
(($#)) || { echo "check-man.sh: no pages given"; exit 1; }
for page in "$@"; do
    if [[ ! -s $page ]]; then
        echo "$page: missing or empty"
        bad=1
        continue
    fi
    warnings=$(groff -man -ww -z "$page" 2>&1)
    if [[ -n $warnings ]]; then
        echo "$page does not render cleanly:"
        echo "$warnings"
        bad=1
    else
        echo "$(basename "$page"): clean"
    fi
done
exit $bad
