#!/usr/bin/env bash
# Pins ISC dhcpd's verdict on every dhcpd.conf of a corpus folder (default: this one) into its
# VERDICTS file: `NAME | ok`, or `NAME | line N | dhcpd's first complaint` (N is `-` when dhcpd
# names no line). crates/charruad/tests/differential.rs checks charruad -t against these pins,
# and that dhcpd still says the same. Needs isc-dhcp-server (dhcpd).
set -euo pipefail
dir=${1:-$(dirname "$0")}
cd "$dir"
for f in *.conf; do
  if out=$(dhcpd -t -cf "$f" 2>&1); then
    echo "$f | ok"
  else
    status=$?
    line=$(grep -a -m1 -oE "^$f line [0-9]+: .*" <<<"$out" || true)
    if [ -n "$line" ]; then
      n=${line#"$f line "}; msg=${n#*: }; n=${n%%:*}
    else
      n=-; msg=$(grep -a -v -E '^(Internet Systems|Copyright|All rights|For info|Configuration file errors|$)' <<<"$out" | head -1 || true)
      # dhcpd 4.4.3 crashes on some files (a key without a secret) before saying anything.
      [ -n "$msg" ] || msg="dhcpd crashed (exit status $status)"
    fi
    # (dhcpd prints uninitialized memory in some messages: keep printable ASCII only.)
    echo "$f | line $n | $(printf %s "$msg" | LC_ALL=C tr -c '[:print:]' '?')"
  fi
done >VERDICTS
