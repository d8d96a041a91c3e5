#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The "units" suite: checks every systemd unit configured into the build directory
# and every bus policy and activation file in dbus-policy/. Prints TAP.
#
#   test-units.sh --srcdir DIR --builddir DIR [--exe PATH]...
#
# --exe names a built daemon; a unit whose Exec*= command has the same file name is
# verified against that binary instead of its (not yet installed) libexecdir path.
# Every service's ExecStart= must have a matching --exe that exists: a unit whose
# daemon is not built (or not passed) fails, it is never skipped. Socket units have
# no ExecStart=; they are verified together with the service they activate.
# Must run as root: it creates the suite's system users with systemd-sysusers, as
# tools/check does, because dbus-daemon rejects policies naming unknown users.

set -u -o pipefail

srcdir=
builddir=
exes=()
while [ $# -gt 0 ]; do
        case $1 in
        --srcdir) srcdir=$(realpath -m -- "$2"); shift 2 ;;
        --builddir) builddir=$(realpath -m -- "$2"); shift 2 ;;
        --exe) exes+=("$(realpath -m -- "$2")"); shift 2 ;;
        *) echo "Bail out! unknown argument: $1"; exit 1 ;;
        esac
done
if [ -z "$srcdir" ] || [ -z "$builddir" ]; then
        echo "Bail out! usage: $0 --srcdir DIR --builddir DIR [--exe PATH]..."
        exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/picamsync-units.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
daemon_pid=
cleanup() {
        if [ -n "$daemon_pid" ]; then
                kill "$daemon_pid" 2>/dev/null
                wait "$daemon_pid" 2>/dev/null
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT

shopt -s nullglob
units=("$builddir"/units/*.service "$builddir"/units/*.socket)
services=("$builddir"/units/*.service)
policies=("$srcdir"/dbus-policy/*.conf)
activations=("$srcdir"/dbus-policy/*.service)
sysusers=("$srcdir"/units/sysusers.d/*.conf)
shopt -u nullglob

# Highest acceptable "systemd-analyze security" exposure per service, on the
# internal 0-100 scale (the printed score times ten): 20 = 2.0. A service without
# an entry here fails: add one with the unit.
declare -A max_exposure=(
        [picamsync-clockd.service]=20   # root with CAP_SYS_TIME, no network
        [picamsync-camerad.service]=15  # unprivileged, private-range network only
        [picamsync-webd.service]=15     # unprivileged, sockets passed in, private ranges only
        [picamsync-ap0.service]=15      # a dynamic user with CAP_NET_ADMIN, netlink only
)

# Commands of the system (not built here) that a unit may run: they must exist on this machine
# (tools/install-deps installs them) for verify to check the unit.
system_commands=(/sbin/iw)

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
        n=$((n + 1)); failed=1
        echo "not ok $n - $1"
        # Details as TAP diagnostics.
        [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/# /'
        return 0
}

# Plan: daemon binary per service, sysusers, verify per unit, security per service,
# one per policy file, one per activation file, plus one for "there are units at all".
echo "1..$((${#services[@]} + 1 + 1 + ${#units[@]} + ${#services[@]} + ${#policies[@]} + ${#activations[@]}))"

# --- the built binary each service starts ------------------------------------------
# ExecStart='s command (after its optional -@:+! prefixes) must have the file name
# of one of the --exe binaries, and that binary must exist.
for unit in "${services[@]}"; do
        name=$(basename "$unit")
        cmd=$(sed -n 's/^[ \t]*ExecStart=[ \t]*[-@:+!]*\([^ \t]*\).*/\1/p' "$unit" | tail -n 1)
        exe=
        for e in "${exes[@]}"; do
                [ "$(basename "$e")" = "$(basename "$cmd")" ] && exe=$e
        done
        for c in "${system_commands[@]}"; do
                [ "$c" = "$cmd" ] && exe=$c
        done
        if [ -z "$cmd" ]; then
                not_ok "$name: daemon binary built" "no ExecStart= in $unit"
        elif [ -z "$exe" ]; then
                not_ok "$name: daemon binary built" \
                        "no --exe for $(basename "$cmd"); add the daemon's executable to tests/units/meson.build"
        elif [ ! -x "$exe" ]; then
                not_ok "$name: daemon binary built" \
                        "$exe is missing or not executable; build it first (meson compile), verify needs a real ExecStart="
        else
                ok "$name: daemon binary built ($exe)"
        fi
done

# --- copies of the units with ExecStart= pointing at the built binaries ----------
# All units of the build go into one directory, sockets included: verify loads the
# units a unit depends on from the directory of the unit it is given, so a socket
# finds its Service= (and a service its Sockets=/Requires=) there, and a socket
# whose service is missing fails ("service ... not loaded, socket cannot be started").
if [ ${#units[@]} -gt 0 ]; then
        ok "${#units[@]} unit(s) found in $builddir/units"
else
        not_ok "units found in $builddir/units" "no *.service or *.socket there; did units/meson.build run?"
fi

mkdir -p "$tmp/units"
exe_map=
for exe in "${exes[@]}"; do
        exe_map+="$(basename "$exe")=$exe"$'\n'
done
for unit in "${units[@]}"; do
        # Replace the path of an Exec*= command (after its optional -@:+! prefixes)
        # when its file name is one of the built daemons; leave everything else.
        EXE_MAP=$exe_map awk '
                BEGIN {
                        n = split(ENVIRON["EXE_MAP"], lines, "\n")
                        for (i = 1; i <= n; i++)
                                if ((p = index(lines[i], "=")) > 0)
                                        map[substr(lines[i], 1, p - 1)] = substr(lines[i], p + 1)
                }
                /^[ \t]*Exec[A-Za-z]*=/ {
                        eq = index($0, "=")
                        key = substr($0, 1, eq)
                        rest = substr($0, eq + 1)
                        match(rest, /^[ \t]*[-@:+!]*/)
                        prefix = substr(rest, 1, RLENGTH)
                        rest = substr(rest, RLENGTH + 1)
                        match(rest, /^[^ \t]+/)
                        cmd = substr(rest, 1, RLENGTH)
                        base = cmd
                        sub(/.*\//, "", base)
                        if (base in map) {
                                print key prefix map[base] substr(rest, RLENGTH + 1)
                                next
                        }
                }
                { print }
        ' "$unit" >"$tmp/units/$(basename "$unit")"
done

# --- (1) systemd-analyze verify --------------------------------------------------
# In this container (PID 1 is not systemd) verify prints nothing for a clean unit,
# so nothing is filtered: any output (unknown key, relative path, missing binary,
# bad dependency) is a finding about the unit and fails the test. Note that verify
# exits 0 on most of these warnings, hence the check on its output.
# --man=no: Documentation=man: pages are installed with the package; verify would
# look them up in the man database of the machine running the tests instead.
for unit in "${units[@]}"; do
        name=$(basename "$unit")
        out=$(cd "$tmp/units" && systemd-analyze verify --man=no "./$name" 2>&1)
        rc=$?
        if [ $rc -eq 0 ] && [ -z "$out" ]; then
                ok "systemd-analyze verify $name"
        else
                not_ok "systemd-analyze verify $name" "exit status $rc"$'\n'"$out"
        fi
done

# --- (2) systemd-analyze security --------------------------------------------------
# --threshold= is on the internal 0-100 scale (see max_exposure above);
# systemd-analyze exits non-zero when the exposure is above it.
for unit in "${services[@]}"; do
        name=$(basename "$unit")
        threshold=${max_exposure[$name]:-}
        if [ -z "$threshold" ]; then
                not_ok "systemd-analyze security $name: has a threshold" \
                        "no max_exposure entry for $name in $0; add one"
                continue
        fi
        limit="$((threshold / 10)).$((threshold % 10))"
        out=$(cd "$tmp/units" && systemd-analyze security --offline=true --threshold="$threshold" "./$name" 2>&1)
        rc=$?
        score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
        if [ $rc -eq 0 ] && [ -n "$score" ]; then
                ok "systemd-analyze security $name: exposure $score (at most $limit)"
        else
                not_ok "systemd-analyze security $name: exposure ${score:-unknown} (at most $limit)" \
                        "$(printf '%s\n' "$out" | grep -v '^✓')"
        fi
done

# --- the system users the policies name ------------------------------------------
out=$(systemd-sysusers "${sysusers[@]}" 2>&1)
rc=$?
missing=
for user in $(awk '$1 == "u" { print $2 }' "${sysusers[@]}" /dev/null); do
        getent passwd "$user" >/dev/null || missing+=" $user"
done
if [ $rc -eq 0 ] && [ ${#sysusers[@]} -gt 0 ] && [ -z "$missing" ]; then
        ok "systemd-sysusers created the suite's users"
else
        not_ok "systemd-sysusers created the suite's users" \
                "exit status $rc (needs root), missing:${missing:- none}"$'\n'"$out"
fi

# --- (3) every bus policy file loads into a real dbus-daemon without a complaint ----
for policy in "${policies[@]}"; do
        name=$(basename "$policy")
        cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <include>$policy</include>
</busconfig>
EOF
        rm -f "$tmp/address" "$tmp/bus"
        mkfifo "$tmp/address"
        dbus-daemon --config-file="$tmp/bus.conf" --nofork --nosyslog --print-address \
                >"$tmp/address" 2>"$tmp/bus.err" &
        daemon_pid=$!
        # The address is printed once the configuration is loaded and the socket
        # listens; EOF (the daemon exited) or 10 s without it is a failure.
        address=
        read -r -t 10 address <"$tmp/address"
        kill "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
        daemon_pid=
        # Ignored: as root dbus-daemon raises RLIMIT_NOFILE to 65536, which fails
        # in a container without CAP_SYS_RESOURCE. It is about the machine, not
        # about the policy.
        complaints=$(grep -v 'Failed to set fd limit to [0-9]*: Operation not permitted' "$tmp/bus.err")
        if [ -n "$address" ] && [ -z "$complaints" ]; then
                ok "dbus-daemon loads $name cleanly"
        else
                not_ok "dbus-daemon loads $name cleanly" \
                        "address: ${address:-none (did not start)}"$'\n'"$complaints"
        fi
done

# --- (4) every activation file names its bus name and an existing unit ------------
key() { sed -n "s/^$1=//p" "$2" | tail -n 1; }
for activation in "${activations[@]}"; do
        name=$(basename "$activation")
        bus_name=$(key Name "$activation")
        service=$(key SystemdService "$activation")
        problems=
        [ "$bus_name.service" = "$name" ] || problems+="Name=$bus_name does not match the file name"$'\n'
        [ "$(key Exec "$activation")" = /bin/false ] || problems+="Exec= is not /bin/false (activation must go through systemd)"$'\n'
        # The unit may be named by its file name or by one of its Alias= names.
        unit=
        for u in "${units[@]}"; do
                if [ "$(basename "$u")" = "$service" ] || grep -qE "^Alias=(.* )?$service( .*)?\$" "$u"; then
                        unit=$u
                fi
        done
        if [ -z "$service" ]; then
                problems+="no SystemdService="$'\n'
        elif [ -z "$unit" ]; then
                problems+="SystemdService=$service is not a unit (or alias) in $builddir/units"$'\n'
        else
                if [ "$(key BusName "$unit")" != "$bus_name" ]; then
                        problems+="$(basename "$unit") has BusName=$(key BusName "$unit"), not $bus_name"$'\n'
                fi
                # User= is only used by dbus-daemon-launch-helper (no systemd); it
                # must name the user the unit runs as (root if the unit sets none).
                unit_user=$(key User "$unit")
                if [ "$(key User "$activation")" != "${unit_user:-root}" ]; then
                        problems+="User=$(key User "$activation"), but $(basename "$unit") runs as ${unit_user:-root}"$'\n'
                fi
        fi
        if [ -z "$problems" ]; then
                ok "$name activates $service"
        else
                not_ok "$name activates ${service:-nothing}" "${problems%$'\n'}"
        fi
done

exit $failed
