#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of the libFuzzer targets (tests/fuzz/corpus/).

packet/: real requests and the packets around them, each twice: with the
mode byte 0x01 (checksums verified, as the daemon does) and 0x00 (not
verified, so the fuzzer gets deep). config/: the sample configuration and
small valid and invalid ones. reasm/: sequences of fragment operations in
fuzz-reasm.c's 8-byte encoding: orders, duplicates, overlaps, the limits,
timeouts and evictions.

Deterministic, Python 3 standard library only. Generated files are named
seed-*; anything else in the corpus directories (crash inputs kept as
regression tests) is left alone. Run from anywhere:
    python3 tests/fuzz/make-corpus.py
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

MODE_VERIFY = b"\x01"
MODE_LAX = b"\x00"


# --------------------------------------------------------------------
# Checksums (RFC 1071) and builders
# --------------------------------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    """A small inet_pton for the literal addresses below."""
    head, _, tail = a.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    words = h + [0] * (8 - len(h) - len(t)) + t
    return struct.pack("!8H", *words)


SRC4, DST4 = "192.0.2.1", "198.51.100.7"
SRC6, DST6 = "2001:db8::1", "2001:db8:0:1::2"

# What ping(8) puts in its data: a timestamp, then bytes counting up.
PING_DATA = struct.pack("!II", 0x65A1B2C3, 0x000D4E5F) + bytes(range(8, 56))


def icmp4(typ, code, rest, csum_ok=True):
    msg = struct.pack("!BBH", typ, code, 0) + rest
    c = csum(msg) if csum_ok else 0x1234
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def echo(ident, seq, data):
    return struct.pack("!HH", ident, seq) + data


def ipv4(payload, src=SRC4, dst=DST4, proto=1, ttl=64, frag=0x4000, opts=b"",
         ipid=0x1C46, totlen=None, csum_ok=True, trailer=b""):
    assert len(opts) % 4 == 0 and len(opts) <= 40
    hlen = 20 + len(opts)
    if totlen is None:
        totlen = hlen + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | hlen // 4, 0, totlen, ipid, frag,
                      ttl, proto, 0, ip4(src), ip4(dst)) + opts
    c = csum(hdr) if csum_ok else 0xBEEF
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload + trailer


def icmp6(typ, code, rest, src=SRC6, dst=DST6, csum_ok=True):
    msg = struct.pack("!BBH", typ, code, 0) + rest
    pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(msg), 58)
    c = csum(pseudo + msg) if csum_ok else 0x1234
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def ipv6(payload, src=SRC6, dst=DST6, nh=58, hops=64, plen=None, trailer=b""):
    if plen is None:
        plen = len(payload)
    return (struct.pack("!IHBB", 0x60012345, plen, nh, hops) + ip6(src) + ip6(dst) +
            payload + trailer)


# --------------------------------------------------------------------
# Packets
# --------------------------------------------------------------------


def packets():
    p = {}

    def e4(data, **kw):
        return ipv4(icmp4(8, 0, echo(0x1234, 1, data)), **kw)

    # IPv4 echo requests, as ping sends them and at odd sizes.
    p["v4-echo-56"] = e4(PING_DATA)
    p["v4-echo-0"] = e4(b"")
    p["v4-echo-1"] = e4(b"\xa5")
    p["v4-echo-3"] = e4(b"abc")
    p["v4-echo-1473"] = e4(bytes((i * 7 + 3) & 0xFF for i in range(1473)))
    # Identifier, sequence and data all zero: the reply's checksum is 0xffff.
    p["v4-echo-allzero"] = ipv4(icmp4(8, 0, echo(0, 0, b"")))
    # Padding after the total length (an Ethernet minimum, say).
    p["v4-echo-trailer"] = e4(b"pad", trailer=b"\x00" * 7)
    p["v4-echo-badsum"] = ipv4(icmp4(8, 0, echo(7, 7, b"bad sums"), csum_ok=False),
                               csum_ok=False)

    # Options: ping -R (record route), ping -T tsonly / tsandaddr / tsprespec.
    rr = bytes([7, 39, 4]) + bytes(36) + b"\x00"
    p["v4-echo-rr"] = e4(PING_DATA, opts=rr)
    ts = bytes([68, 40, 5, 0x00]) + bytes(36)
    p["v4-echo-ts"] = e4(PING_DATA, opts=ts)
    tsa = bytes([68, 36, 5, 0x01]) + bytes(32)
    p["v4-echo-tsaddr"] = e4(PING_DATA, opts=tsa)
    tsp = bytes([68, 12, 5, 0x03]) + ip4(DST4) + bytes(4)
    p["v4-echo-tsprespec"] = e4(b"prespecified", opts=tsp)
    p["v4-echo-nop-rr"] = e4(b"ABCD", opts=bytes([1, 7, 7, 4, 0, 0, 0, 0]))
    # Malformed: zero length, length past the header, RR pointer 3, a source route.
    p["v4-opt-len0"] = e4(b"x", opts=bytes([7, 0, 4, 0]))
    p["v4-opt-overrun"] = e4(b"x", opts=bytes([7, 11, 4, 0, 0, 0, 0, 0]))
    p["v4-opt-rr-ptr3"] = e4(b"x", opts=bytes([7, 7, 3, 0, 0, 0, 0, 0]))
    p["v4-opt-lsrr"] = e4(b"x", opts=bytes([131, 7, 4]) + ip4("203.0.113.9") + b"\x00")

    # Fragments of one echo request: the first (MF) and a later one.
    big = icmp4(8, 0, echo(0x1234, 2, bytes(range(256)) * 6))
    p["v4-frag-first"] = ipv4(big[:1480], frag=0x2000, ipid=0x4242)
    p["v4-frag-later"] = ipv4(big[1480:], frag=185, ipid=0x4242)

    # Malformed headers.
    p["v4-ihl4"] = bytes([0x44]) + e4(b"ihl")[1:]
    p["v4-totlen-long"] = e4(b"short", totlen=200)

    # Addresses that are never answered.
    p["v4-src-bcast"] = e4(b"b", src="255.255.255.255")
    p["v4-dst-mcast"] = e4(b"m", dst="224.0.0.1")

    # Not echo requests: ICMP errors, an echo reply, UDP.
    inner = e4(b"orig")[:28]
    p["v4-unreach"] = ipv4(icmp4(3, 3, bytes(4) + inner))
    p["v4-echo-reply"] = ipv4(icmp4(0, 0, echo(0x1234, 1, PING_DATA)))
    p["v4-udp"] = ipv4(struct.pack("!HHHH", 4000, 53, 12, 0) + b"dns?", proto=17)

    # IPv6.
    e6 = icmp6(128, 0, echo(0xBEEF, 7, PING_DATA))
    p["v6-echo-56"] = ipv6(e6)
    p["v6-echo-0"] = ipv6(icmp6(128, 0, echo(0xBEEF, 8, b"")))
    p["v6-echo-odd"] = ipv6(icmp6(128, 0, echo(0xBEEF, 9, b"hello, tun!")))
    p["v6-echo-badsum"] = ipv6(icmp6(128, 0, echo(1, 2, b"bad"), csum_ok=False))
    # Hop-by-hop options (PadN) before the ICMPv6 message.
    hbh = bytes([58, 0, 1, 4, 0, 0, 0, 0])
    p["v6-hbh-echo"] = ipv6(hbh + e6, nh=0)
    # Payload length: beyond the bytes read, and short of them (trailer).
    p["v6-plen-long"] = ipv6(e6, plen=len(e6) + 16)
    p["v6-plen-short"] = ipv6(e6, trailer=b"\x00" * 8)
    p["v6-dst-mcast"] = ipv6(icmp6(128, 0, echo(1, 1, b"m"), dst="ff02::1"),
                             dst="ff02::1")
    p["v6-unreach"] = ipv6(icmp6(1, 4, bytes(4) + ipv6(e6)[:48]))
    p["v6-echo-reply"] = ipv6(icmp6(129, 0, echo(0xBEEF, 7, PING_DATA)))

    # Neither IPv4 nor IPv6.
    p["not-ip"] = b"\x20" + bytes(27)
    return p


# --------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------


def configs():
    c = {}
    with open(os.path.join(ROOT, "conf", "tunecho.conf"), "rb") as f:
        c["sample"] = f.read()
    c["minimal"] = b"[tun0]\naddress = 198.18.0.1/24\n"
    c["global-all"] = (b"[global]\nlog-level = debug\nsyslog = yes\nbusy-poll-us = 50\n"
                       b"user = root\ngroup = 0\nseccomp = no\nlink-group = 7\n")
    c["iface-all"] = (b"[te9]\naddress = 198.18.0.1 peer 198.18.0.2/32\n"
                      b"address = 2001:db8::1/64\nroute = 198.18.64.0/18\n"
                      b"route = 2001:db8:80::/48\nmtu = 9000\ntxqueuelen = 1000\n"
                      b"owner = root\ngroup = root\npersist = yes\nattach = no\n")
    c["bom-crlf-indent"] = (b"\xef\xbb\xbf; comment\r\n[tun1]\r\n  address = 198.18.1.1\r\n"
                            b"\t# another\r\n  mtu = 1400\r\n")
    c["bad-unknown-key"] = b"[tun0]\ncolour = blue\n"
    c["bad-address"] = b"[tun0]\naddress = 198.18.0.300/24\n"
    c["bad-address-words"] = b"[tun0]\naddress = 198.18.0.1 peer 198.18.0.2/32 and more\n"
    c["bad-duplicate"] = b"[tun0]\n[global]\n[tun0]\n"
    c["bad-outside"] = b"mtu = 1500\n[tun0]\n"
    c["bad-syntax"] = b"[tun0]\nthis is not a key\n"
    c["bad-ipv6-mtu"] = b"[tun0]\nmtu = 1000\naddress = 2001:db8::1/64\n"
    c["bad-route-host-bits"] = b"[tun0]\nroute = 198.18.0.1/15\n"
    c["bad-long-line"] = b"[tun0]\naddress = " + b"1" * 300 + b"\n"
    c["bad-user-uid"] = b"[global]\nuser = 4000000000\n"
    return c


# --------------------------------------------------------------------
# Fragment sequences (fuzz-reasm.c's operations)
# --------------------------------------------------------------------


def op(off=0, length=0, more=False, v6=False, key=0, ifx=0, opts=False,
       expire=False, step=1, seed=0):
    """One operation: @length payload bytes at byte offset @off."""
    assert off % 8 == 0 and 0 <= step <= 255
    units = (length + 7) // 8
    l16 = (units * 8 - length) << 13 | units
    b0 = (v6 | more << 1 | (key & 7) << 2 | ifx << 5 | opts << 6 | expire << 7)
    return struct.pack("!BHHBBB", b0, off // 8, l16, step, seed & 0xFF, key >> 3)


def cut(total, step, **kw):
    """The pieces of a @total-byte payload, @step bytes each, in order."""
    return [op(o, min(step, total - o), o + step < total, seed=o // step, **kw)
            for o in range(0, total, step)]


def sequences():
    q = {}
    q["v4-in-order"] = b"".join(cut(3000, 1480))
    q["v6-in-order"] = b"".join(cut(3000, 1232, v6=True))
    q["v4-reverse"] = b"".join(reversed(cut(5000, 1000)))
    q["v6-reverse"] = b"".join(reversed(cut(5000, 1000, v6=True)))
    eights = cut(64, 8)
    q["v4-eights-shuffled"] = b"".join(eights[i] for i in (3, 7, 0, 5, 1, 6, 2, 4))
    q["v4-options"] = b"".join(cut(2000, 1440, opts=True))
    q["two-keys-interleaved"] = b"".join(
        a + b for a, b in zip(cut(4000, 1000, key=1), cut(4000, 1000, key=2, v6=True)))
    q["two-interfaces"] = b"".join(cut(2000, 1000, ifx=0) + cut(2000, 1000, ifx=1))
    q["duplicates"] = (op(0, 16, True, seed=1) + op(0, 16, True, seed=2) +
                       op(8, 8, True, seed=3) + op(16, 24, False, seed=4))
    q["overlap-tail"] = op(0, 16, True) + op(8, 16, True) + op(16, 16, False)
    q["overlap-two-runs"] = (op(0, 8, True) + op(16, 8, True) + op(32, 8, True) +
                             op(0, 24, True))
    q["v6-overlap"] = op(0, 16, True, v6=True) + op(8, 16, False, v6=True)
    q["v4-tail-cut"] = op(0, 12, True, seed=5) + op(8, 100, False, seed=6)
    q["v4-four-bytes"] = op(0, 8, True) + op(8, 4, True) + op(8, 8, False)
    q["v6-unaligned"] = (op(0, 16, True, v6=True) + op(16, 100, True, v6=True) +
                         op(16, 24, False, v6=True))
    q["conflicting-ends"] = op(64, 64, False) + op(0, 64, True) + op(0, 96, False)
    q["v4-largest"] = b"".join(cut(65515, 1480))
    q["v6-largest"] = b"".join(cut(65535, 1232, v6=True))
    q["v4-oversize"] = op(0, 1480, True) + op(65512, 4, False)
    q["v6-oversize"] = op(0, 1232, True, v6=True) + op(65528, 8, False, v6=True)
    # Timeouts: 30 s for IPv4, 60 s for IPv6, from the first fragment.
    q["timeouts"] = (op(0, 8, True) + op(0, 8, True, v6=True) +
                     op(8, 8, True, step=255) +            # 65 s later: both gone
                     op(8, 8, False, v6=True, step=0) +
                     op(0, 0, expire=True, step=200) +
                     op(0, 8, True, v6=True, step=0))
    q["expire-ops"] = (op(0, 8, True) + op(0, 0, expire=True, step=255) +
                       op(0, 8, True, v6=True, key=3) + op(0, 0, expire=True, step=250))
    # Evictions: small datagrams of both families first, then growing ones
    # take the table (256 KiB) over its cap.
    ev = [op(0, 8, True, key=k, v6=bool(k & 1)) for k in range(8)]
    for k in range(8):
        ev.append(op(8, 64000, True, key=k, v6=bool(k & 1), seed=k))
    ev.append(op(64008, 16, False, key=7, v6=True))
    q["evictions"] = b"".join(ev)
    # A flood of first fragments that never complete, IPv4 and IPv6 in
    # turn (so that neither family's list runs empty while the table is full).
    q["flood"] = b"".join(op(0, 1480, True, key=k, v6=bool(k & 1), step=3)
                          for k in range(200))
    return q


def write(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.startswith("seed-") and name not in files:
            os.remove(os.path.join(directory, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def main():
    pkt = {}
    for name, data in packets().items():
        pkt["seed-%s-verify" % name] = MODE_VERIFY + data
        pkt["seed-%s-lax" % name] = MODE_LAX + data
    cfg = {"seed-%s.conf" % name: data for name, data in configs().items()}
    write(os.path.join(HERE, "corpus", "packet"), pkt)
    write(os.path.join(HERE, "corpus", "config"), cfg)
    seq = {"seed-%s" % name: data for name, data in sequences().items()}
    write(os.path.join(HERE, "corpus", "reasm"), seq)
    print("%d packet seeds, %d config seeds, %d reasm seeds" % (len(pkt), len(cfg), len(seq)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
