#!/usr/bin/python3
"""Golden TSIG vectors for charrua-ddns, made with dnspython (Debian 12's python3-dnspython 2.3).

Regenerate with:

    apt-get install -y --no-install-recommends python3-dnspython
    /usr/bin/python3 crates/ddns/tests/vectors/tsig.py > crates/ddns/tests/vectors/tsig.txt

For each of the six algorithms: ISC's first forward update (docs/ddns.md section 5.3, add 1:
prerequisite `alpha.test.example. NONE ANY`, updates `A 198.18.0.100` and the interim TXT, TTL
300) unsigned and signed by dnspython at a fixed time, and answers to it: signed by dnspython
(NOERROR, REFUSED, BADTIME with the server's time in Other Data, signed late, signed with another
secret, signed by another key name), unsigned, and built here byte by byte where dnspython has
no API (BADSIG and BADKEY answers with an empty MAC, RFC 8945 section 5.3.2; a truncated MAC;
a tampered RCODE). Output: one `name hex` line per value, cases separated by `case ALG`.
"""

import hashlib
import struct
import time

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update
import dns.version

T = 1700000000  # Time Signed of every vector, and the verifier's "now"
ZONE = "test.example."
KEY_NAME = "DDNS-Key."  # mixed case: the MAC covers it in lower case (RFC 8945 section 4.3.3)
TXT = "00c4ca78f9cf3717b36cf11b2bb4fc190c"

# BIND's spelling of the algorithm names, which charrua sends (docs/ddns.md section 8).
ALGORITHMS = [
    ("hmac-md5", "hmac-md5.sig-alg.reg.int."),
    ("hmac-sha1", "hmac-sha1."),
    ("hmac-sha224", "hmac-sha224."),
    ("hmac-sha256", "hmac-sha256."),
    ("hmac-sha384", "hmac-sha384."),
    ("hmac-sha512", "hmac-sha512."),
]


def at(t):
    """Makes dnspython sign at time t."""
    time.time = lambda: t


def name_wire(text):
    """A name in uncompressed wire form, case kept."""
    return dns.name.from_text(text).to_wire()


def tsig_rr(keyname, algorithm, signed, mac, oid, error, other=b""):
    """A TSIG RR (RFC 8945 section 4.2), names uncompressed."""
    rdata = (
        name_wire(algorithm)
        + struct.pack("!HIH", signed >> 32, signed & 0xFFFFFFFF, 300)
        + struct.pack("!H", len(mac))
        + mac
        + struct.pack("!HHH", oid, error, len(other))
        + other
    )
    rr = name_wire(keyname) + struct.pack(
        "!HHIH", dns.rdatatype.TSIG, dns.rdataclass.ANY, 0, len(rdata)
    )
    return rr + rdata


def with_rr(wire, rr):
    """Appends an additional record, counting it in ARCOUNT."""
    arcount = struct.unpack("!H", wire[10:12])[0]
    return wire[:10] + struct.pack("!H", arcount + 1) + wire[12:] + rr


def request(alg_name, key, msg_id):
    u = dns.update.UpdateMessage(ZONE, id=msg_id)
    u.absent("alpha")
    u.add("alpha", 300, "A", "198.18.0.100")
    u.add("alpha", 300, "TXT", '"%s"' % TXT)
    unsigned = u.to_wire()
    u.use_tsig(key)
    at(T)
    signed = u.to_wire()
    return u, unsigned, signed


def response(query, rcode=dns.rcode.NOERROR, key=None, tsig_error=0, other=b"", when=T):
    r = dns.message.make_response(query)
    r.set_rcode(rcode)
    if key is not None:
        r.use_tsig(key, tsig_error=tsig_error, other_data=other)
        r.request_mac = query.mac
    at(when)
    return r.to_wire()


def unsigned_response(query, rcode):
    r = dns.message.make_response(query)
    r.tsig = None
    r.set_rcode(rcode)
    return r.to_wire()


def main():
    print("# made by tsig.py with dnspython %s; do not edit" % dns.version.version)
    print("time %d" % T)
    print("zone %s" % ZONE)
    print("txt %s" % TXT)
    for i, (alg, wire_alg) in enumerate(ALGORITHMS):
        secret = hashlib.sha256(alg.encode()).digest()
        key = dns.tsig.Key(KEY_NAME, secret, wire_alg)
        msg_id = 0x1000 + i
        query, unsigned, signed = request(alg, key, msg_id)
        mac = query.mac
        print("case %s" % alg)
        print("key_name %s" % KEY_NAME)
        print("secret %s" % secret.hex())
        print("id %d" % msg_id)
        print("request_unsigned %s" % unsigned.hex())
        print("request_signed %s" % signed.hex())
        print("request_mac %s" % mac.hex())

        good = response(query, key=key)
        print("response_noerror %s" % good.hex())
        print("response_refused %s" % response(query, dns.rcode.REFUSED, key=key).hex())
        server_time = T + 1000
        print(
            "response_badtime %s"
            % response(
                query,
                dns.rcode.NOTAUTH,
                key=key,
                tsig_error=dns.rcode.BADTIME,
                other=struct.pack("!HI", server_time >> 32, server_time & 0xFFFFFFFF),
            ).hex()
        )
        print("response_late %s" % response(query, key=key, when=T + 301).hex())
        other_secret = dns.tsig.Key(KEY_NAME, hashlib.sha256(b"other").digest(), wire_alg)
        print("response_other_secret %s" % response(query, key=other_secret).hex())
        other_name = dns.tsig.Key("other-key.", secret, wire_alg)
        print("response_other_key %s" % response(query, key=other_name).hex())
        bare = unsigned_response(query, dns.rcode.NOTAUTH)
        print("response_unsigned %s" % bare.hex())
        for label, error in (("badsig", dns.rcode.BADSIG), ("badkey", dns.rcode.BADKEY)):
            rr = tsig_rr(KEY_NAME, wire_alg, T, b"", msg_id, error)
            print("response_%s %s" % (label, with_rr(bare, rr).hex()))
        # The good answer's MAC cut to half its length (at least 10 bytes: RFC 8945
        # section 5.2.2.1's smallest acceptable truncation), the rest unchanged.
        at(T)
        full = dns.message.from_wire(good, keyring=key, request_mac=mac).mac
        cut = full[: max(10, len(full) // 2)]
        plain = unsigned_response(query, dns.rcode.NOERROR)
        rr = tsig_rr(KEY_NAME, wire_alg, T, cut, msg_id, 0)
        print("response_truncated %s" % with_rr(plain, rr).hex())
        # The good answer with its RCODE changed to REFUSED on the way.
        tampered = bytearray(good)
        tampered[3] = (tampered[3] & 0xF0) | dns.rcode.REFUSED
        print("response_tampered %s" % bytes(tampered).hex())
        print("end")


main()
