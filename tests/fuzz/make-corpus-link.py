#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz-link (tests/fuzz/corpus/link/).

Frames a TAP reads on the link fuzz-link.c simulates (hosts 198.18.4.0/24
and 2001:db8:0:4::/64, the device at .1 and ::1): ARP requests, probes and
gratuitous ARP, NS, DAD probes, echo requests, and the frames around them
that are dropped. Each twice: mode byte 0x01 (one fixed MAC for all hosts,
02:00:5e:10:00:01, so unicast frames reach a host) and 0x00 (mac = auto).

Deterministic, Python 3 standard library only. Generated files are named
seed-*; anything else in the directory (crash inputs kept as regression
tests) is left alone. Run from anywhere:
    python3 tests/fuzz/make-corpus-link.py
"""

import os
import socket
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "link")

HOST_MAC = bytes.fromhex("02005e100001")
PEER_MAC = bytes.fromhex("0200000000aa")
BCAST = b"\xff" * 6
ZERO_MAC = b"\x00" * 6


def ip4(a):
    return socket.inet_pton(socket.AF_INET, a)


def ip6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, etype):
    return dst + src + struct.pack("!H", etype)


def arp(dst, op, sha, spa, tpa, src=None):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + ip4(spa) + ZERO_MAC + ip4(tpa)
    return eth(dst, src or sha, 0x0806) + body


def solicited(a):
    return ip6("ff02::1:ff00:0")[:13] + ip6(a)[13:]


def group_mac(g):
    return b"\x33\x33" + g[12:]


def icmp6(src, dst, msg, hops=255):
    pseudo = src + dst + struct.pack("!IxxxB", len(msg), 58)
    c = csum(pseudo + msg)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    return struct.pack("!IHBB", 0x60000000, len(msg), 58, hops) + src + dst + msg


def ns(target, src=None, dst=None, slla=True, hops=255, dst_mac=None):
    s = ip6(src) if src else b"\x00" * 16
    d = ip6(dst) if dst else solicited(target)
    msg = struct.pack("!BBHI", 135, 0, 0, 0) + ip6(target)
    if src and slla:
        msg += b"\x01\x01" + PEER_MAC
    return eth(dst_mac or group_mac(d), PEER_MAC, 0x86DD) + icmp6(s, d, msg, hops)


def echo4(dst_mac, dst):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"ping"
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                      ip4("198.18.4.200"), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return eth(dst_mac, PEER_MAC, 0x0800) + hdr + icmp


def echo6(dst_mac, dst, mtype=128):
    msg = struct.pack("!BBHHH", mtype, 0, 0, 0x1234, 1) + b"ping"
    return eth(dst_mac, PEER_MAC, 0x86DD) + icmp6(ip6("2001:db8:0:5::7"), ip6(dst), msg, 64)


def mld_report():
    """An MLDv2 report joining ff02::1:ff00:7, behind Hop-by-Hop Router Alert."""
    src, dst = ip6("fe80::ff:fe00:aa"), ip6("ff02::16")
    msg = struct.pack("!BBHHH", 143, 0, 0, 0, 1) + struct.pack("!BBH", 4, 0, 0) + solicited(
        "2001:db8:0:5::7")
    pseudo = src + dst + struct.pack("!IxxxB", len(msg), 58)
    msg = msg[:2] + struct.pack("!H", csum(pseudo + msg)) + msg[4:]
    hbh = bytes([58, 0, 5, 2, 0, 0, 1, 0])
    return struct.pack("!IHBB", 0x60000000, len(hbh) + len(msg), 0, 1) + src + dst + hbh + msg


def frames():
    h4, h6 = "198.18.4.5", "2001:db8:0:4::5"
    peer4, peer6 = "198.18.4.200", "2001:db8:0:5::7"
    return {
        "arp-request": arp(BCAST, 1, PEER_MAC, peer4, h4),
        "arp-unicast": arp(HOST_MAC, 1, PEER_MAC, peer4, h4),
        "arp-probe": arp(BCAST, 1, PEER_MAC, "0.0.0.0", h4),
        "arp-gratuitous": arp(BCAST, 1, PEER_MAC, h4, h4),
        "arp-own": arp(BCAST, 1, PEER_MAC, peer4, "198.18.4.1"),
        "arp-outside": arp(BCAST, 1, PEER_MAC, peer4, "198.18.5.5"),
        "arp-reply": arp(BCAST, 2, PEER_MAC, peer4, h4),
        "arp-short": arp(BCAST, 1, PEER_MAC, peer4, h4)[:30],
        "ns": ns(h6, peer6),
        "ns-no-slla": ns(h6, peer6, slla=False),
        "ns-unicast": ns(h6, peer6, dst=h6, dst_mac=HOST_MAC),
        "ns-dad": ns(h6),
        "ns-hop-254": ns(h6, peer6, hops=254),
        "ns-own": ns("2001:db8:0:4::1", peer6),
        "ns-outside": ns("2001:db8:0:6::5", peer6),
        "rs": eth(group_mac(ip6("ff02::2")), PEER_MAC, 0x86DD)
        + icmp6(ip6(peer6), ip6("ff02::2"), struct.pack("!BBHI", 133, 0, 0, 0)),
        "echo4": echo4(HOST_MAC, h4),
        "echo4-bcast": echo4(BCAST, h4),
        "echo6": echo6(HOST_MAC, h6),
        "mld-query": echo6(group_mac(ip6("ff02::1")), "ff02::1", 130),
        "mld-report": eth(group_mac(ip6("ff02::16")), PEER_MAC, 0x86DD) + mld_report(),
        "vlan": eth(HOST_MAC, PEER_MAC, 0x8100) + b"\x00\x05\x08\x00" + echo4(HOST_MAC, h4)[14:],
        "lldp": eth(bytes.fromhex("0180c200000e"), PEER_MAC, 0x88CC) + b"\x02\x07\x04" + PEER_MAC,
        "runt": eth(BCAST, PEER_MAC, 0x0806)[:10],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}
    for name, frame in frames().items():
        files["seed-%s-fixed" % name] = b"\x01" + frame
        files["seed-%s-auto" % name] = b"\x00" + frame
    for name in os.listdir(OUT):
        if name.startswith("seed-") and name not in files:
            os.unlink(os.path.join(OUT, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(files), OUT))


if __name__ == "__main__":
    main()
