#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every C file of the tree matches the project's .clang-format.
set -uo pipefail
cd "$1"
bad=0
while IFS= read -r -d '' f; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run: clang-format -i $f)"
        bad=1
    fi
done < <(find daemons clockd camerad webd tools tests -name '*.[ch]' -print0)
exit $bad
