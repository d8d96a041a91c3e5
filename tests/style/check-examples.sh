#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped configuration examples (conf/examples/, docs/time-sources.md) parse with the
# programs that read them: chronyd -p (alone, and included the way Debian's chrony.conf
# includes conf.d), dnsmasq --test, and for timesyncd (which has no checking mode)
# systemd-analyze cat-config finds the drop-in where it is installed, every key is one
# timesyncd.conf(5) of systemd 252 knows, and every duration parses (systemd-analyze
# timespan). Usage: check-examples.sh SOURCE_ROOT
set -euo pipefail

root=${1:?usage: check-examples.sh SOURCE_ROOT}
ex=$root/conf/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
    echo "FAIL: $*" >&2
    failed=1
}

# chrony: alone, then as Debian includes it.
if ! out=$(chronyd -p -f "$ex/chrony-gps-pps.conf" 2>&1); then
    fail "chronyd -p rejects chrony-gps-pps.conf: $out"
fi
[[ $(grep -c ' prefer' <<<"$out") -eq 2 ]] || fail "chrony-gps-pps.conf: not two preferred servers"
mkdir -p "$tmp/chrony/conf.d"
cp "$ex/chrony-gps-pps.conf" "$tmp/chrony/conf.d/picamsync-gps-pps.conf"
printf 'confdir %s\npool 2.debian.pool.ntp.org iburst\nmakestep 1 3\n' "$tmp/chrony/conf.d" \
    >"$tmp/chrony/chrony.conf"
if ! out=$(chronyd -p -f "$tmp/chrony/chrony.conf" 2>&1); then
    fail "chronyd -p rejects chrony.conf with the example in conf.d: $out"
fi
grep -q '^server 192.168.1.20 .*prefer' <<<"$out" || fail "conf.d example not read by chronyd"

# dnsmasq (NetworkManager's dnsmasq-shared.d)
if ! out=$(dnsmasq --test --conf-file=/dev/null -C "$ex/dnsmasq-shared-pi-zero-rtc.conf" 2>&1); then
    fail "dnsmasq --test rejects dnsmasq-shared-pi-zero-rtc.conf: $out"
fi
grep -q '^dhcp-option=option:ntp-server,192.168.4.2$' "$ex/dnsmasq-shared-pi-zero-rtc.conf" ||
    fail "dnsmasq example does not announce 192.168.4.2 with option 42"

# timesyncd
drop=$tmp/root/etc/systemd/timesyncd.conf.d
mkdir -p "$drop"
cp "$ex/timesyncd-pi-zero-rtc.conf" "$drop/picamsync-pi-zero-rtc.conf"
systemd-analyze cat-config --root="$tmp/root" systemd/timesyncd.conf 2>/dev/null |
    grep -q '^NTP=192.168.4.2 ' || fail "systemd-analyze cat-config does not find the timesyncd drop-in"
section=
while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|;|$) ]] && continue
    if [[ $line =~ ^\[(.*)\]$ ]]; then
        section=${BASH_REMATCH[1]}
        [[ $section == Time ]] || fail "timesyncd: unknown section [$section]"
        continue
    fi
    key=${line%%=*}
    value=${line#*=}
    [[ -n $section ]] || fail "timesyncd: $key outside [Time]"
    case $key in
    NTP | FallbackNTP)
        for s in $value; do
            [[ $s =~ ^[A-Za-z0-9.:-]+$ ]] || fail "timesyncd: $key: \"$s\" is not a host name or address"
        done
        ;;
    RootDistanceMaxSec | PollIntervalMinSec | PollIntervalMaxSec | ConnectionRetrySec | SaveIntervalSec)
        systemd-analyze timespan "$value" >/dev/null 2>&1 || fail "timesyncd: $key=$value is not a duration"
        ;;
    *) fail "timesyncd: unknown key $key" ;;
    esac
done <"$ex/timesyncd-pi-zero-rtc.conf"

((failed == 0)) && echo "configuration examples: chrony, dnsmasq and timesyncd parse"
exit "$failed"
