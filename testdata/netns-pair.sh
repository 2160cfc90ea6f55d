# Sourced by the record.sh scripts: a server namespace and a client namespace joined by a veth
# pair (server side `vs` with 198.18.0.1/24, client side `vc` with hardware address $2), named
# after $1 and this shell's pid, removed with everything in $pids and $work on exit.
# Sets: out (the calling script's folder), srv, cli, work, pids.
out=$(cd "$(dirname "$0")" && pwd)
tag=$1$$
srv=${tag}s cli=${tag}c
work=$(mktemp -d)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  ip netns del "$srv" 2>/dev/null || true
  ip netns del "$cli" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$srv"
ip netns add "$cli"
ip link add vs type veth peer name vc
ip link set vs netns "$srv"
ip link set vc netns "$cli"
ip -n "$srv" addr add 198.18.0.1/24 dev vs
ip -n "$srv" link set vs up
ip -n "$srv" link set lo up
ip -n "$cli" link set vc address "$2"
ip -n "$cli" link set vc up
ip -n "$cli" link set lo up
