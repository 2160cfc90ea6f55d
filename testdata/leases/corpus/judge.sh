#!/usr/bin/env bash
# Regenerates VERDICTS: judges every *.leases file of this folder with ISC dhcpd's lease file
# test (`dhcpd -T -4 -cf dhcpd.conf -lf FILE`, never -q, which would hide the complaints),
# run on a copy in a temporary folder (dhcpd -T writes a scratch file next to the lease file).
#
# A file is bad when dhcpd exits non-zero, or its stderr says "orrupt" ("Corrupt lease file",
# "possibly corrupt"), " line " (a parse complaint with a line number) or "no subnet";
# otherwise it is ok. dhcpd -T exits 0 even after such complaints, so its words decide.
#
# One line per file: `NAME | dhcpd: ok` or `NAME | dhcpd: <first line of its complaint>`, then
# ` | active N, hosts M`: leases whose last block (for that address) says `binding state
# active` (or `bootp` or `reserved`, which hold the address for its client too), and host declarations not removed by a later `deleted` one (by name), counted from
# the text by complete top-level blocks; a block cut off by the end of the file (or swallowed
# by an unterminated string) does not count. Prints a warning for a file whose name (ok-/bad-)
# disagrees with the verdict. Needs isc-dhcp-server (DHCPD=path overrides /usr/sbin/dhcpd).
set -euo pipefail
cd "$(dirname "$0")"
dhcpd=${DHCPD:-/usr/sbin/dhcpd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Block-level count of one lease file; see above.
count() {
  LC_ALL=C awk '
    { text = text $0 "\n" }
    function word() { if (tok != "") { ntok++; toks[ntok] = tok; tok = "" } }
    function stmt_end(   st) {
      word()
      if (depth == 1 && ntok >= 1) {
        if (kind == "lease" && ntok == 3 && toks[1] == "binding" && toks[2] == "state") state = toks[3]
        if (kind == "host" && ntok == 1 && toks[1] == "deleted") deleted = 1
      }
      ntok = 0
    }
    function open_block() {
      word()
      if (depth == 0) {
        kind = ntok >= 2 && (toks[1] == "lease" || toks[1] == "host") ? toks[1] : "other"
        key = toks[2]; gsub(/"/, "", key); state = ""; deleted = 0
      }
      ntok = 0; depth++
    }
    function close_block() {
      word(); ntok = 0
      if (depth == 0) return
      if (--depth == 0) {
        if (kind == "lease") leases[key] = state
        else if (kind == "host") { if (deleted) delete hosts[key]; else hosts[key] = 1 }
      }
    }
    END {
      n = length(text); depth = 0; ntok = 0; tok = ""
      for (i = 1; i <= n; i++) {
        c = substr(text, i, 1)
        if (c == "#") { while (i <= n && substr(text, i, 1) != "\n") i++; word(); continue }
        if (c == "\"") {
          s = c
          for (i++; i <= n; i++) {
            c = substr(text, i, 1); s = s c
            if (c == "\\") { i++; s = s substr(text, i, 1); continue }
            if (c == "\"") break
          }
          if (i > n) break
          tok = tok s; continue
        }
        if (c == " " || c == "\t" || c == "\n" || c == "\r") { word(); continue }
        if (c == ";") { stmt_end(); continue }
        if (c == "{") { open_block(); continue }
        if (c == "}") { close_block(); continue }
        tok = tok c
      }
      a = 0; for (k in leases) if (leases[k] == "active" || leases[k] == "bootp" || leases[k] == "reserved") a++
      h = 0; for (k in hosts) h++
      printf "active %d, hosts %d\n", a, h
    }' "$1"
}

for f in *.leases; do
  cp -- "$f" "$tmp/$f"
  rc=0
  "$dhcpd" -T -4 -cf "$PWD/dhcpd.conf" -lf "$tmp/$f" -pf "$tmp/dhcpd.pid" >/dev/null 2>"$tmp/err" || rc=$?
  rm -f -- "$tmp/$f"
  # Messages name the copy by its full path: keep only the file name.
  sed -i "s|$tmp/||g" "$tmp/err"
  complaint=$(grep -avE '^(Internet Systems Consortium|Copyright|All rights reserved|For info, please visit|Config file:|Database file:|PID file:|Wrote [0-9]+ |Lease file test successful)' "$tmp/err" |
    sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -av '^$' | head -n 1 || true)
  if [ "$rc" -ne 0 ] || grep -aqE 'orrupt| line |no subnet' "$tmp/err"; then
    verdict=${complaint:-exit status $rc}
    [ "$rc" -ne 0 ] && verdict="$verdict (exit status $rc)"
    case $f in bad-*) ;; *) echo "warning: $f is judged bad" >&2 ;; esac
  else
    verdict=ok
    case $f in ok-*) ;; *) echo "warning: $f is judged ok" >&2 ;; esac
  fi
  echo "$f | dhcpd: $verdict | $(count "$f")"
done >VERDICTS
echo "wrote $(wc -l <VERDICTS) verdicts to $PWD/VERDICTS"
