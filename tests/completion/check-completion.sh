#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bash completion of picamsyncctl (completion/picamsyncctl), sourced into bash and asked
# as bash asks it. A stub picamsyncctl on PATH answers camera list, reports list and
# list-timezones as the real one does, and records its arguments, so that the test shows
# what the completion asks and that it passes on the line's --address.
#   check-completion.sh SRCDIR
set -uo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/picamsyncctl" <<'STUB'
#!/bin/bash
echo "$*" >>"$STUB_LOG"
args=" $* "
case $args in
*" camera list "*) printf 'c012345678901 Canon EOS R50 yes http://192.168.4.7:8080/ccapi\nurl_sim x no http://127.0.0.1:1/ccapi\n' ;;
*" reports list "*) printf '20261206T140300Z-c012345678901 Moonrise\n20261206T150000Z-c012345678901 Sunset\n' ;;
*" list-timezones "*) printf 'Europe/Berlin\nEurope/Bern\nEurope/Brussels\nEurope/London\nUTC\n' ;;
*) exit 1 ;;
esac
STUB
chmod +x "$tmp/picamsyncctl"
export STUB_LOG=$tmp/calls PATH=$tmp:$PATH
: >"$STUB_LOG"

# As bash does it: bash-completion first, then the command's file from its directory.
# shellcheck source=/dev/null
source /usr/share/bash-completion/bash_completion || { echo "no bash-completion"; exit 1; }
# shellcheck source=/dev/null
source "$src/completion/picamsyncctl" || { echo "the completion does not source"; exit 1; }

failed=0
# complete LINE: the candidates for the last word of LINE (a trailing space starts a new
# word), split as bash splits it with the default COMP_WORDBREAKS ("=" and ":" are words of
# their own).
complete_line() {
    local line=$1
    COMP_LINE=$line
    COMP_POINT=${#line}
    # shellcheck disable=SC2206
    COMP_WORDS=($(sed -E 's/[=:]/ & /g' <<<"$line"))
    [[ $line == *' ' || $line == *'=' || $line == *':' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _picamsyncctl picamsyncctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() { # expect LINE WANTED
    local got
    got=$(complete_line "$1")
    if [[ $got == "$2" ]]; then
        echo "ok: '$1' -> $got"
    else
        echo "FAILED: '$1' -> '$got', wanted '$2'"
        failed=1
    fi
}

expect 'picamsyncctl ' 'ap camera drift-log drift-report list-timezones log ntp-check reports set-time set-timezone show status sync-camera timelapse'
expect 'picamsyncctl dr' 'drift-log drift-report'
expect 'picamsyncctl drift-log --i' '--interval'
expect 'picamsyncctl drift-log --output x.csv --d' '--duration'
expect 'picamsyncctl drift-log --camera ' 'c012345678901 url_sim'
expect 'picamsyncctl drift-report x.csv --s' '--svg'
expect 'picamsyncctl s' 'set-time set-timezone show status sync-camera'
expect 'picamsyncctl camera ' 'add drift forget list measure set'
expect 'picamsyncctl --json camera m' 'measure'
expect 'picamsyncctl timelapse ' 'start status stop'
expect 'picamsyncctl reports ' 'export list show'
expect 'picamsyncctl ap ' 'remove setup status'
expect 'picamsyncctl set-timezone Europe/Be' 'Europe/Berlin Europe/Bern'
expect 'picamsyncctl set-timezone Europe/Berlin ' ''
expect 'picamsyncctl set-time 2026-12-06T14:00 --zone Europe/Lo' 'Europe/London'
expect 'picamsyncctl camera measure ' 'c012345678901 url_sim'
expect 'picamsyncctl camera set c012345678901 U' 'UTC'
expect 'picamsyncctl sync-camera c0' 'c012345678901'
expect 'picamsyncctl reports show 20261206T14' '20261206T140300Z-c012345678901'
expect 'picamsyncctl reports export X --format ' 'html json'
expect 'picamsyncctl timelapse start --camera ' 'c012345678901 url_sim'
expect 'picamsyncctl --no-' '--no-legend --no-pager'
expect 'picamsyncctl sync-camera --f' '--force'
expect 'picamsyncctl n' 'ntp-check'
expect 'picamsyncctl ntp-check 192.168.4.2 --s' '--samples'
expect 'picamsyncctl ntp-check --samples ' ''
expect 'picamsyncctl ntp-check --samples 4 ' ''
expect 'picamsyncctl ntp-check 192.168.4.2 --a' '--address --alert'
expect 'picamsyncctl ntp-check --alert ' ''
expect 'picamsyncctl show ' 'c012345678901 url_sim'
expect 'picamsyncctl show --v' '--value --version'
expect 'picamsyncctl log --f' '--follow'
expect 'picamsyncctl camera drift --c' '--csv'
expect 'picamsyncctl timelapse start --i' '--interval'
expect 'picamsyncctl ap setup --s' '--ssid'
expect 'picamsyncctl set-time 2026-12-06T14:00:00 --zone=Europe/Br' 'Europe/Brussels'
expect 'picamsyncctl --address=unix:path=/tmp/bus cam' 'camera'

# The line's --address reaches picamsyncctl, in both spellings; the access point's does not.
: >"$STUB_LOG"
complete_line 'picamsyncctl --address unix:path=/tmp/bus camera measure ' >/dev/null
complete_line 'picamsyncctl --address=unix:path=/tmp/bus2 set-timezone E' >/dev/null
complete_line 'picamsyncctl ap setup --address 192.168.4.1/24 ' >/dev/null
complete_line 'picamsyncctl set-timezone U' >/dev/null
wanted='--address unix:path=/tmp/bus --no-legend camera list
--address=unix:path=/tmp/bus2 list-timezones
list-timezones'
if [[ $(cat "$STUB_LOG") == "$wanted" ]]; then
    echo "ok: --address is passed on"
else
    echo "FAILED: picamsyncctl was called as:"
    cat "$STUB_LOG"
    echo "wanted:"
    echo "$wanted"
    failed=1
fi
exit $failed
