#!/usr/bin/env bash
# Records the real lease files of this corpus (ok-01 to ok-10, see ORIGIN.md): dhcpd.leases
# files written by a real ISC dhcpd serving real clients (dhclient, udhcpc, dhcpcd, a BOOTP
# request, udhcpc behind dhcrelay, omshell) in network namespaces this script creates.
# Run as root; needs iproute2, isc-dhcp-server (dhcpd, dhcrelay, omshell), isc-dhcp-client,
# udhcpc (busybox), dhcpcd-base and python3. Addresses are from 198.18.0.0/15; nothing leaves
# the namespaces; everything is cleaned up. Rerun ./judge.sh afterwards: the verdicts decide
# the names (ok-/bad-), and every real file so far has been judged ok.
set -euo pipefail
# shellcheck source=../../netns-pair.sh
. "$(dirname "$0")/../../netns-pair.sh" chlc 02:00:00:c0:ff:10
far=${tag}f
trap 'cleanup; ip netns del "$far" 2>/dev/null || true' EXIT

# The part of dhcpd.conf every scenario shares; each scenario appends to its own copy.
base_conf() {
  cat <<CONF
authoritative;
default-lease-time 3600;
max-lease-time 7200;
option domain-name "example.test";
subnet 198.18.0.0 netmask 255.255.255.0 {
  range 198.18.0.100 198.18.0.150;
  option routers 198.18.0.1;
}
CONF
}

# start NAME: run dhcpd in the server namespace on $work/NAME.conf and $work/NAME.leases.
start() {
  dhcpd -t -4 -cf "$work/$1.conf" >"$work/$1.log" 2>&1 || { cat "$work/$1.log" >&2; return 1; }
  touch "$work/$1.leases"
  ip netns exec "$srv" dhcpd -4 -f -d -cf "$work/$1.conf" -lf "$work/$1.leases" \
    -pf "$work/$1.pid" vs >>"$work/$1.log" 2>&1 &
  dhcpd_pid=$!
  pids+=("$dhcpd_pid")
  sleep 1
}
stop() { kill "$dhcpd_pid" || { cat "$work"/*.log >&2; return 1; }; wait "$dhcpd_pid" 2>/dev/null || true; sleep 0.2; }
# keep NAME FILE: copy the lease file of scenario NAME into the corpus as FILE.
keep() {
  cp "$work/$1.leases" "$out/$2"
  chmod 644 "$out/$2"
  echo "recorded $2: $(grep -c '^lease' "$out/$2" || true) lease blocks, $(grep -c '^host' "$out/$2" || true) host blocks"
}
# client MAC: give the client interface a new hardware address and no addresses, and make the
# server forget the old hardware addresses (or its pings would go to them).
client() {
  ip -n "$cli" addr flush dev vc
  ip -n "$cli" link set vc address "$1"
  ip -n "$srv" neigh flush all
}
dhclient_get() {
  timeout 30 ip netns exec "$cli" dhclient -1 -sf /bin/true -lf "$work/dhclient.leases" \
    -pf "$work/dhclient.pid" vc
  addr=$(sed -n 's/.*fixed-address \(.*\);/\1/p' "$work/dhclient.leases" | tail -1)
  ip -n "$cli" addr add "$addr/24" dev vc
}
# Stops the dhclient that dhclient_get left running, without releasing its lease.
dhclient_stop() {
  ip netns exec "$cli" dhclient -x -sf /bin/true -lf "$work/dhclient.leases" -pf "$work/dhclient.pid" vc
  rm -f "$work/dhclient.leases"
}
dhclient_release() {
  timeout 30 ip netns exec "$cli" dhclient -r -sf /bin/true -lf "$work/dhclient.leases" \
    -pf "$work/dhclient.pid" vc
  rm -f "$work/dhclient.leases"
}
udhcpc() { timeout 30 ip netns exec "$cli" busybox udhcpc -i vc -n -q -t 5 -T 3 -s /bin/true "$@"; }

# 1, 2 and 9: a dhclient lease kept (ok-01); then a second client's lease released (ok-02,
# the file as dhcpd appended to it); then dhcpd restarted, which rewrites the file (ok-09).
base_conf >"$work/a.conf"
start a
client 02:00:00:c0:ff:11
dhclient_get
dhclient_stop
keep a ok-01-real-dhclient-lease.leases
client 02:00:00:c0:ff:12
dhclient_get
dhclient_release
keep a ok-02-real-dhclient-release.leases
stop
start a
keep a ok-09-real-rewritten-at-start.leases
stop

# 3: udhcpc with a client identifier and a host name.
base_conf >"$work/b.conf"
start b
client 02:00:00:c0:ff:13
udhcpc -x hostname:udhcpc-host -x 0x3d:0102000000c0ff13
keep b ok-03-real-udhcpc-clientid-hostname.leases
stop

# 4: dhcpcd (oneshot; it keeps its address, and its database entry is removed afterwards).
base_conf >"$work/c.conf"
start c
client 02:00:00:c0:ff:14
dhcpcd_db=$(dhcpcd --version --build 2>/dev/null | sed -n 's/^DBDIR=//p'); dhcpcd_db=${dhcpcd_db:-/var/lib/dhcpcd}
rm -f "$dhcpcd_db"/vc*.lease "$dhcpcd_db"/vc*.lease4
timeout 40 ip netns exec "$cli" dhcpcd -4 -1 -w -t 15 --config /dev/null --script /bin/true vc \
  || echo "warning: dhcpcd exited with $?" >&2
rm -f "$dhcpcd_db"/vc*.lease "$dhcpcd_db"/vc*.lease4
keep c ok-04-real-dhcpcd.leases
stop

# 5: a BOOTP request (no DHCP message type) for a dynamic-bootp range, sent by a few lines of
# Python, since none of the clients speaks plain BOOTP.
{ base_conf | sed 's/range 198.18.0.100/range dynamic-bootp 198.18.0.100/'; } >"$work/d.conf"
start d
client 02:00:00:c0:ff:15
timeout 20 ip netns exec "$cli" python3 - <<'PY'
import socket, struct, os
mac = bytes.fromhex("0200" "00c0ff15")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"vc")
s.bind(("0.0.0.0", 68))
s.settimeout(3)
xid = os.getpid() & 0xffffffff
# op htype hlen hops xid secs flags(broadcast) ciaddr yiaddr siaddr giaddr chaddr sname file
pkt = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, bytes(4), bytes(4),
                  bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128))
pkt += bytes([99, 130, 83, 99, 12, 10]) + b"bootp-host" + bytes([255])  # cookie, host name
pkt += bytes(300 - len(pkt))
for _ in range(3):
    s.sendto(pkt, ("255.255.255.255", 67))
    try:
        while True:
            reply, _ = s.recvfrom(2048)
            if reply[0] == 2 and reply[4:8] == pkt[4:8]:
                print("BOOTREPLY yiaddr", socket.inet_ntoa(reply[16:20]))
                raise SystemExit(0)
    except socket.timeout:
        pass
raise SystemExit("no BOOTREPLY")
PY
keep d ok-05-real-bootp.leases
stop

# 6: udhcpc in a third namespace behind dhcrelay -a (it adds a circuit id only), served by a
# dhcpd with `on commit { set ...; on expiry {...} on release {...} }` and stash-agent-options,
# so the lease keeps variables (string, numeric, boolean), on-event statements and the relay
# agent options. The client namespace is the relay: vc upstream, rd downstream.
ip netns add "$far"
ip -n "$cli" link add rd type veth peer name cf netns "$far"
client 02:00:00:c0:ff:16
ip -n "$cli" addr add 198.18.0.2/24 dev vc
ip -n "$cli" addr add 198.18.1.1/24 dev rd
ip -n "$cli" link set rd up
ip -n "$far" link set cf address 02:00:00:c0:ff:17
ip -n "$far" link set cf up
ip -n "$far" link set lo up
ip -n "$srv" route add 198.18.1.0/24 via 198.18.0.2
{
  base_conf
  cat <<'CONF'
stash-agent-options true;
subnet 198.18.1.0 netmask 255.255.255.0 {
  range 198.18.1.100 198.18.1.150;
  option routers 198.18.1.1;
}
on commit {
  set leased = binary-to-ascii(10, 8, ".", leased-address);
  set circuit = option agent.circuit-id;
  set via = binary-to-ascii(10, 8, ".", packet(24, 4));
  set vclass = pick-first-value(option vendor-class-identifier, "none");
  set hops = extract-int(packet(3, 1), 8);
  set relayed = exists agent.circuit-id;
  on expiry {
    set gone = "expired";
  }
  on release {
    set gone = "released";
  }
}
CONF
} >"$work/e.conf"
start e
ip netns exec "$cli" dhcrelay -4 -d -a -id rd -iu vc -pf "$work/dhcrelay.pid" 198.18.0.1 \
  >"$work/dhcrelay.log" 2>&1 &
pids+=($!)
sleep 1
timeout 30 ip netns exec "$far" busybox udhcpc -i cf -n -q -t 5 -T 3 -s /bin/true \
  -x hostname:relayed-host
keep e ok-06-real-relay-on-commit.leases
stop
ip -n "$srv" route del 198.18.1.0/24 via 198.18.0.2

# 7 and 8: hosts created over OMAPI with omshell; in 8 a second host is then removed, which
# dhcpd records as `host NAME { dynamic; deleted; }`.
omshell_create() { # NAME MAC IP
  printf '%s\n' "server 127.0.0.1" "port 7911" connect "new host" "set name = \"$1\"" \
    "set hardware-address = $2" "set hardware-type = 1" "set ip-address = $3" create
}
omshell_remove() { # NAME
  printf '%s\n' "server 127.0.0.1" "port 7911" connect "new host" "set name = \"$1\"" open remove
}
for s in f g; do { base_conf; echo "omapi-port 7911;"; } >"$work/$s.conf"; done
start f
omshell_create omapi-one 02:00:00:c0:ff:18 198.18.0.60 | ip netns exec "$srv" omshell >>"$work/omshell.log"
sleep 0.5
keep f ok-07-real-omapi-host.leases
stop
start g
omshell_create omapi-two 02:00:00:c0:ff:19 198.18.0.61 | ip netns exec "$srv" omshell >>"$work/omshell.log"
omshell_create omapi-three 02:00:00:c0:ff:1a 198.18.0.62 | ip netns exec "$srv" omshell >>"$work/omshell.log"
omshell_remove omapi-three | ip netns exec "$srv" omshell >>"$work/omshell.log"
sleep 0.5
keep g ok-08-real-omapi-host-deleted.leases
stop

# 10: ping-check finds two addresses of the range in use (the client answers for them), so
# dhcpd abandons those leases before it offers a third.
{ base_conf | sed 's/range 198.18.0.100 198.18.0.150/range 198.18.0.100 198.18.0.102/'
  echo "ping-check true;"; } >"$work/h.conf"
start h
client 02:00:00:c0:ff:1b
ip -n "$cli" addr add 198.18.0.100/24 dev vc
ip -n "$cli" addr add 198.18.0.101/24 dev vc
udhcpc || echo "warning: udhcpc exited with $?" >&2
keep h ok-10-real-ping-abandoned.leases
stop
