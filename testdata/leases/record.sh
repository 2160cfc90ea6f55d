#!/usr/bin/env bash
# Records dhcpd.leases files written by a real ISC dhcpd that served real clients (dhclient and
# udhcpc, one of them releasing), in a pair of network namespaces this script creates, into
# testdata/leases/isc-*.leases. Run as root; needs iproute2, isc-dhcp-server, isc-dhcp-client
# and udhcpc (busybox). Addresses are from 198.18.0.0/15; everything is cleaned up.
set -euo pipefail
# shellcheck source=../netns-pair.sh
. "$(dirname "$0")/../netns-pair.sh" chlf 02:00:00:c0:ff:01

cat > "$work/dhcpd.conf" <<CONF
authoritative;
default-lease-time 3600;
max-lease-time 7200;
option domain-name "example.test";
subnet 198.18.0.0 netmask 255.255.255.0 {
  range 198.18.0.100 198.18.0.150;
  option routers 198.18.0.1;
}
CONF
touch "$work/dhcpd.leases"
ip netns exec "$srv" dhcpd -f -d -q -cf "$work/dhcpd.conf" -lf "$work/dhcpd.leases" -pf "$work/dhcpd.pid" vs \
  >"$work/dhcpd.log" 2>&1 &
pids+=($!)
sleep 1

# A dhclient lease that is then released, and a udhcpc lease (client identifier, host name).
timeout 30 ip netns exec "$cli" dhclient -1 -sf /bin/true -lf "$work/dhclient.leases" -pf "$work/dhclient.pid" vc
addr=$(sed -n 's/.*fixed-address \(.*\);/\1/p' "$work/dhclient.leases" | tail -1)
ip -n "$cli" addr add "$addr/24" dev vc
timeout 30 ip netns exec "$cli" dhclient -r -sf /bin/true -lf "$work/dhclient.leases" -pf "$work/dhclient.pid" vc
ip -n "$cli" addr flush dev vc
ip -n "$cli" link set vc address 02:00:00:c0:ff:02
timeout 30 ip netns exec "$cli" busybox udhcpc -i vc -n -q -t 3 -T 2 -s /bin/true -x hostname:udhcpc-host \
  -x 0x3d:0102000000c0ff02
sleep 0.5
cp "$work/dhcpd.leases" "$out/isc-dhclient-udhcpc.leases"
chmod 644 "$out/isc-dhclient-udhcpc.leases"
echo "recorded $out/isc-dhclient-udhcpc.leases: $(grep -c '^lease' "$out/isc-dhclient-udhcpc.leases") lease blocks"
