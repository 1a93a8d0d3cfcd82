#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The golden frames of test-link.c against the kernel of a namespace.

test-link checks that link.c answers the golden ARP request, NS and DAD
probe with exactly the golden replies; this checks that those replies are,
byte for byte, what Linux itself sends for an address of its own at the
same MAC (198.18.4.5 and 2001:db8:0:4::5 at 02:00:5e:10:00:01 on one end of
a veth pair, the frames written on the other end). Together: link.c
answers as the kernel does (an RFC 5227 probe too). And for the requests link.c refuses (NS with
hop limit 254, a bad checksum, code 1; ARP with hardware type 8; ARP and NS
for an address nobody has), the kernel sends nothing either.

Linux answers a unicast NS (NUD) without the target link-layer option and
with override clear; link.c includes the option and sets override, as RFC
4861 §7.2.4 allows, so that case is not compared. An ARP request with
hardware type 6 (IEEE 802) is answered, by both, as one of type 1.

Root only (exit 77 otherwise; a failure under CI=true). Runs itself in a
network namespace of its own (unshare -n).
"""

import os
import re
import socket
import struct
import subprocess
import sys
import time

if os.geteuid() != 0:
    print("test-link-kernel: needs root; skipped", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)
if not os.environ.get("TE_LINK_KERNEL_NETNS"):
    os.environ["TE_LINK_KERNEL_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)

HERE = os.path.dirname(os.path.abspath(__file__))
HOST_MAC = bytes.fromhex("02005e100001")


def golden(name):
    with open(os.path.join(HERE, "test-link.c")) as f:
        src = f.read()
    m = re.search(r"static const uint8_t %s\[\d+\] = \{(.*?)\};" % name, src, re.S)
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(1)))


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix_icmp6(frame):
    """The frame with its ICMPv6 checksum recomputed."""
    ip = frame[14:]
    plen = struct.unpack("!H", ip[4:6])[0]
    msg = ip[40:42] + b"\x00\x00" + ip[44 : 40 + plen]
    c = csum(ip[8:40] + struct.pack("!IxxxB", plen, 58) + msg)
    return frame[: 14 + 42] + struct.pack("!H", c) + frame[14 + 44 :]


def patch(frame, off, value):
    return frame[:off] + bytes(value) + frame[off + len(value) :]


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def answers(sock, frame, wait):
    """Frames from the host's MAC that are ARP replies or NAs, after @frame."""
    sock.setblocking(False)
    while True:  # what came before is not an answer
        try:
            sock.recv(2048)
        except BlockingIOError:
            break
    sock.send(frame)
    got, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline and not got:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            f = sock.recv(2048)
        except socket.timeout:
            break
        if f[6:12] != HOST_MAC:
            continue
        arp_reply = f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02"
        defence = f[12:14] == b"\x08\x06" and f[28:32] == f[38:42]
        na = f[12:14] == b"\x86\xdd" and len(f) > 54 and f[20] == 58 and f[54] == 136
        if arp_reply or defence or na:
            got.append(f)
    return got


def main():
    sh("ip link set lo up")
    sh("ip link add peer0 type veth peer name k0")
    sh("ip link set k0 address 02:00:5e:10:00:01")
    sh("sysctl -qw net.ipv6.conf.peer0.disable_ipv6=1")
    sh("ip addr add 198.18.4.5/24 dev k0")
    sh("ip addr add 2001:db8:0:4::5/64 dev k0 nodad")
    sh("ip link set peer0 up && ip link set k0 up")
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.bind(("peer0", 0))
    # The link is up once the kernel answers ARP at all (carrier, addresses).
    deadline = time.monotonic() + 30
    while not answers(sock, golden("golden_arp_req"), 1.0):
        if time.monotonic() > deadline:
            sys.exit("test-link-kernel: the kernel never answered ARP on k0")

    failures = 0
    arp = golden("golden_arp_req")
    for req, frame, rep in [
        ("golden_arp_req", arp, "golden_arp_rep"),
        ("arp hardware 6", patch(arp, 14, [0, 6]), "golden_arp_rep"),
        ("arp probe", patch(arp, 14 + 14, [0, 0, 0, 0]), "probe_reply"),
        ("golden_ns", golden("golden_ns"), "golden_na"),
        ("golden_dad", golden("golden_dad"), "golden_dad_na"),
    ]:
        got = answers(sock, frame, 10.0)
        # RFC 5227 probe (sender 0.0.0.0): the reply's target IP is 0.0.0.0.
        if rep == "probe_reply":
            want = patch(golden("golden_arp_rep"), 14 + 24, [0] * 4)
        else:
            want = golden(rep)
        ok = len(got) == 1 and got[0] == want
        print("%-16s kernel answered %d, identical to %s: %s" % (req, len(got), rep, ok))
        for g in got:
            if g != want:
                print("  kernel: %s\n  golden: %s" % (g.hex(), want.hex()))
        failures += not ok

    ns = golden("golden_ns")
    refused = {
        "ns hop limit 254": patch(ns, 14 + 7, [254]),
        "ns bad checksum": patch(ns, 14 + 43, [ns[14 + 43] ^ 1]),
        "ns code 1": fix_icmp6(patch(ns, 14 + 41, [1])),
        "ns for no one": fix_icmp6(patch(ns, 14 + 40 + 8 + 15, [6])),
        "arp hardware 8": patch(arp, 14, [0, 8]),
        "arp for no one": patch(arp, 14 + 27, [6]),
    }
    for name, frame in refused.items():
        got = answers(sock, frame, 1.5)
        print("%-16s kernel answered %d (want 0)" % (name, len(got)))
        for g in got:
            print("  kernel: %s" % g.hex())
        failures += len(got) != 0
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
