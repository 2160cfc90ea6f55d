#!/usr/bin/env bash
# Records real DHCP clients (dhclient, udhcpc, dhcpcd) talking to dnsmasq, each in a pair of
# network namespaces this script creates, into testdata/captures/*.pcapng. Run as root; needs
# iproute2, dnsmasq-base, isc-dhcp-client, udhcpc (busybox), dhcpcd-base and tshark.
# Addresses are from 198.18.0.0/15; nothing leaves the namespaces; everything is cleaned up.
set -euo pipefail
# shellcheck source=../netns-pair.sh
. "$(dirname "$0")/../netns-pair.sh" chrec 02:00:00:c0:ff:ee

ip netns exec "$srv" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
  --interface=vs --bind-interfaces --dhcp-authoritative \
  --dhcp-leasefile="$work/dnsmasq.leases" --pid-file="$work/dnsmasq.pid" \
  --dhcp-range=198.18.0.100,198.18.0.150,255.255.255.0,1h \
  --dhcp-option=option:router,198.18.0.1 \
  --dhcp-option=option:dns-server,198.18.0.53,198.18.0.54 \
  --dhcp-option=option:domain-name,example.test \
  --dhcp-option=option:domain-search,example.test,lab.example.test \
  --dhcp-option=option:classless-static-route,198.19.0.0/16,198.18.0.1,0.0.0.0/0,198.18.0.1 \
  --dhcp-option=option:ntp-server,198.18.0.123 \
  --dhcp-option=option:mtu,1500 \
  >"$work/dnsmasq.log" 2>&1 &
pids+=($!)
sleep 0.5

# record NAME COMMAND...: capture on the client side while COMMAND runs in the client namespace.
# NAME's extension picks the format (.pcapng or .pcap); CAPTURE_IF picks the interface (`any`
# records Linux cooked headers instead of Ethernet).
record() {
  local name=$1; shift
  local file="$out/$name" format=-n
  [ "${name##*.}" = pcap ] && format=-P
  rm -f "$file"
  ip netns exec "$cli" dumpcap -q -i "${CAPTURE_IF:-vc}" "$format" \
    -f 'udp port 67 or udp port 68' -w "$work/$name" >"$work/$name.dumpcap.log" 2>&1 &
  local cap=$!
  pids+=($cap)
  for _ in $(seq 50); do [ -s "$work/$name" ] && break; sleep 0.1; done
  sleep 0.3
  timeout 30 ip netns exec "$cli" "$@" || echo "warning: $name client exited with $?" >&2
  sleep 0.5
  kill "$cap"; wait "$cap" 2>/dev/null || true
  cp "$work/$name" "$file"
  ip -n "$cli" addr flush dev vc
  echo "recorded $file: $(ip netns exec "$cli" tshark -r "$file" 2>/dev/null | wc -l) frames"
}

# dhclient runs no script here, so the leased address is added by hand before the release,
# which dhclient unicasts from it.
record dhclient.pcapng sh -c "dhclient -1 -v -sf /bin/true -lf $work/dhclient.leases -pf $work/dhclient.pid vc \
  && ip addr add \$(sed -n 's/.*fixed-address \\(.*\\);/\\1/p' $work/dhclient.leases | tail -1)/24 dev vc \
  && dhclient -r -v -sf /bin/true -lf $work/dhclient.leases -pf $work/dhclient.pid vc"
record udhcpc.pcapng busybox udhcpc -i vc -n -q -R -t 3 -T 2 -s /bin/true -x hostname:charrua-test
CAPTURE_IF=any record udhcpc-cooked.pcap busybox udhcpc -i vc -n -q -t 3 -T 2 -s /bin/true \
  -V charrua-vendor -x 0x3d:01020000c0ffee
# dhcpcd remembers leases in its database directory: the first run starts clean (DORA) and exits
# keeping its lease, the second reuses it (INIT-REBOOT, RFC 2131 section 3.2) and releases it.
dhcpcd_db=$(dhcpcd --version --build 2>/dev/null | sed -n 's/^DBDIR=//p'); dhcpcd_db=${dhcpcd_db:-/var/lib/dhcpcd}
rm -f "$dhcpcd_db"/vc*.lease "$dhcpcd_db"/vc*.lease4
dhcpcd_run='dhcpcd -4 -B -t 15 --config /dev/null --script /bin/true vc & p=$!;
  for i in $(seq 100); do ip -4 addr show dev vc | grep -q 198.18 && break; sleep 0.1; done;
  dhcpcd -4 -k vc; sleep 1; kill $p 2>/dev/null; wait $p'
record dhcpcd.pcapng dhcpcd -4 -1 -w -t 15 --config /dev/null --script /bin/true vc
record dhcpcd-reboot.pcapng sh -c "$dhcpcd_run"
rm -f "$dhcpcd_db"/vc*.lease "$dhcpcd_db"/vc*.lease4
exit 0
