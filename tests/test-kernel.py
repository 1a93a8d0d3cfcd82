#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
tunecho against the kernel, in network namespaces this test makes itself.

1. Real clients: ping -s and ping -6 -s up to 65507/65000 bytes on links of
   MTU 1280, 1500 and 9000, ping -R, ping -T tsonly / tsandaddr, fping -b 4000.
2. The kernel as the oracle: a table of crafted requests (fragments in every
   order, overlaps, options, extension headers, malformed ones), each sent to
   tunecho over a TUN and to the kernel of a second namespace over a veth
   pair; answered or not must agree, and the echoed identifier, sequence,
   data and options too. Allowed to differ, and nothing else: the addresses
   (each side has its own), the IP identification, checksums, TTL and hop
   limit, the timestamps' values, and how a reply is fragmented.
3. A fragment flood: never-completed fragments with random identifications
   on one interface for 10 s while ping runs on it and on another: every
   ping answered, reassembly memory under its cap, the evictions counted.

Root only (exit 77 otherwise; a failure under CI=true).
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

if os.geteuid() != 0:
    print("test-kernel: needs root; skipped", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)
if not os.environ.get("TE_KERNEL_NETNS"):
    os.environ["TE_KERNEL_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)

from scapy.layers.inet import ICMP, IP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting, HBHOptUnknown, PadN, RouterAlert)

TUNECHO = os.environ.get("TUNECHO_BIN", "build/src/tunecho/tunecho")
ETH_P_ALL, ETH_P_IP, ETH_P_IPV6, PACKET_OUTGOING = 3, 0x0800, 0x86DD, 4
failures = []


def sh(*cmd, ns=None):
    if ns:
        cmd = ("nsenter", "-t", str(ns), "-n") + cmd
    subprocess.run(cmd, check=True)


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


# ---------------------------------------------------------------- set-up

CONFIG = """[global]
log-level = notice
[te0]
address = 198.18.0.1 peer 198.18.0.2
address = 2001:db8:0:1::1/64
mtu = 1280
[te1]
address = 198.18.0.5 peer 198.18.0.6
address = 2001:db8:0:2::1/64
mtu = 1500
[te2]
address = 198.18.0.9 peer 198.18.0.10
address = 2001:db8:0:3::1/64
mtu = 9000
[te3]
address = 198.18.1.1/24
"""


def start_tunecho():
    sh("ip", "link", "set", "lo", "up")
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write(CONFIG)
    conf.close()
    log = tempfile.TemporaryFile("w+")
    p = subprocess.Popen([TUNECHO, "-c", conf.name], stderr=log)
    for _ in range(100):
        log.seek(0)
        if "ready" in log.read():
            break
        if p.poll() is not None:
            break
        time.sleep(0.05)
    log.seek(0)
    text = log.read()
    if "ready" not in text:
        print(text, file=sys.stderr)
        sys.exit("tunecho did not start")
    return p, log


def start_kernel_peer():
    """A second namespace with the kernel answering over veth1."""
    peer = subprocess.Popen(["unshare", "-n", "sleep", "600"])
    time.sleep(0.2)
    sh("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
    sh("ip", "link", "set", "veth1", "netns", str(peer.pid))
    sh("ip", "addr", "add", "198.18.9.1/24", "dev", "veth0")
    sh("ip", "addr", "add", "2001:db8:9::1/64", "dev", "veth0", "nodad")
    sh("ip", "link", "set", "veth0", "up")
    sh("ip", "link", "set", "lo", "up", ns=peer.pid)
    sh("ip", "addr", "add", "198.18.9.2/24", "dev", "veth1", ns=peer.pid)
    sh("ip", "addr", "add", "2001:db8:9::2/64", "dev", "veth1", "nodad", ns=peer.pid)
    sh("ip", "link", "set", "veth1", "up", ns=peer.pid)
    # Resolve each other once, so crafted requests need no ARP or ND.
    subprocess.run(["ping", "-c", "1", "-W", "2", "198.18.9.2"], capture_output=True)
    subprocess.run(["ping", "-6", "-c", "1", "-W", "2", "2001:db8:9::2"], capture_output=True)
    return peer


def stats(p, log):
    log.seek(0, 2)
    start = log.tell()
    p.send_signal(signal.SIGUSR1)
    for _ in range(100):
        time.sleep(0.05)
        log.seek(start)
        for line in log.read().splitlines():
            if line.startswith("tunecho: {"):
                return json.loads(line[len("tunecho: "):])
    sys.exit("no statistics from tunecho")


# ---------------------------------------------------------- real clients

def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def real_clients(p, log):
    links = [("198.18.0.2", "2001:db8:0:1::2", 1280), ("198.18.0.6", "2001:db8:0:2::2", 1500),
             ("198.18.0.10", "2001:db8:0:3::2", 9000)]
    for v4, v6, mtu in links:
        for size in (1472, 1473, 3000, 8972, 65507):
            rc, out = run(["ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", str(size), v4])
            check(rc == 0 and " 0% packet loss" in out, f"ping -s {size} {v4} (MTU {mtu})")
            if size == 65507 and mtu == 1500:
                print("     " + out.strip().splitlines()[-2])
        for size in (1452, 1453, 3000, 65000):
            rc, out = run(["ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "-s", str(size), v6])
            check(rc == 0 and " 0% packet loss" in out, f"ping -6 -s {size} {v6} (MTU {mtu})")
            if size == 65000 and mtu == 1500:
                print("     " + out.strip().splitlines()[-2])
    rc, out = run(["ping", "-c", "1", "-W", "2", "-R", "198.18.0.6"])
    rr = out[out.find("RR:"):].split()[1:5] if "RR:" in out else []
    check(rc == 0 and rr == ["198.18.0.5", "198.18.0.6", "198.18.0.6", "198.18.0.5"],
          f"ping -R records both stamps of the host: {rr}")
    rc, out = run(["ping", "-c", "1", "-W", "2", "-T", "tsonly", "198.18.0.6"])
    check(rc == 0 and "TS:" in out and out.count("absolute") == 1,
          "ping -T tsonly: timestamps echoed")
    rc, out = run(["ping", "-c", "1", "-W", "2", "-T", "tsandaddr", "198.18.0.6"])
    check(rc == 0 and out.count("198.18.0.6") >= 3, "ping -T tsandaddr: the host's two stamps")
    rc, out = run(["fping", "-b", "4000", "-c", "2", "198.18.0.6", "198.18.0.2", "198.18.0.10"])
    check(rc == 0 and out.count("0%") >= 3, "fping -b 4000 over three links")
    load = os.environ.get("TUNECHO_LOAD_BIN", "build/src/tools/tunecho-load")
    for size in (3000, 65487):
        rc, out = run([load, "-s", str(size), "-w", "4", "-d", "1", "--json", "198.18.0.6",
                       "2001:db8:0:2::2", "198.18.0.2", "2001:db8:0:1::2"])
        total = json.loads(out).get("total", {}) if rc == 0 else {}
        check(rc == 0 and total.get("received", 0) > 0 and total.get("corrupted", 1) == 0
              and total.get("lost", 1) == 0,
              f"tunecho-load -s {size}: every reply verified (received {total.get('received')})")
    # The MTU followed when it changes from outside: replies cut to the new one.
    sh("ip", "link", "set", "te1", "mtu", "1400")
    time.sleep(0.3)
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    cap.bind(("te1", 0))
    cap.settimeout(0.5)
    rc, out = run(["ping", "-c", "1", "-W", "2", "-s", "3000", "198.18.0.6"])
    sizes = []
    try:
        while True:
            data, addr = cap.recvfrom(70000)
            if addr[2] != PACKET_OUTGOING:
                sizes.append(len(data))
    except socket.timeout:
        pass
    check(rc == 0 and sizes and max(sizes) <= 1400 and max(sizes) > 1300,
          f"after ip link set mtu 1400, replies come in fragments of at most 1400: {sizes}")
    sh("ip", "link", "set", "te1", "mtu", "1500")
    for dst in ("198.18.1.255", "198.18.1.0"):
        rc, out = run(["ping", "-b", "-c", "1", "-W", "1", dst])
        check(rc != 0, f"ping -b {dst} (a /24's broadcast, network) gets no reply")
    te3 = next(i for i in stats(p, log)["interfaces"] if i["name"] == "te3")
    check(te3["drops"]["bad_destination"] == 2, "both counted under bad_destination")


# --------------------------------------------------- the differential table

class Side:
    """Where crafted requests go: tunecho's te1, or the kernel over veth0."""

    def __init__(self, name, ifname, src4, dst4, src6, dst6, mac=None):
        self.name, self.ifname = name, ifname
        self.src4, self.dst4, self.src6, self.dst6 = src4, dst4, src6, dst6
        self.mac = mac
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        self.rx.bind((ifname, 0))
        self.rx.setblocking(False)

    def send(self, data):
        proto = ETH_P_IP if data[0] >> 4 == 4 else ETH_P_IPV6
        addr = (self.ifname, proto, 0, 0, self.mac) if self.mac else (self.ifname, proto)
        self.tx.sendto(data, addr)

    def receive(self):
        got = []
        while True:
            try:
                data, addr = self.rx.recvfrom(70000)
            except BlockingIOError:
                return got
            if addr[2] != PACKET_OUTGOING and addr[1] in (ETH_P_IP, ETH_P_IPV6):
                got.append(data)


def split4(req, pieces):
    """IPv4 fragments of @req: (offset, length, MF) of its payload each."""
    hlen = (req[0] & 15) * 4
    payload = req[hlen:]
    out = []
    for off, n, mf in pieces:
        chunk = payload[off:off + n]
        hdr = bytearray(req[:hlen])
        hdr[2:4] = struct.pack("!H", hlen + len(chunk))
        hdr[6:8] = struct.pack("!H", (0x2000 if mf else 0) | off // 8)
        hdr[10:12] = b"\0\0"
        hdr[10:12] = struct.pack("!H", ip4_checksum(hdr))
        out.append(bytes(hdr) + chunk)
    return out


def split6(req, pieces):
    """IPv6 fragments of @req (a plain IPv6 datagram): (offset, length, M) each."""
    nh = req[6]
    ident = zlib.crc32(req) | 1  # one per request: cases must not share a datagram
    payload = req[40:]
    out = []
    for off, n, m in pieces:
        hdr = bytearray(req[:40])
        frag = struct.pack("!BBHI", nh, 0, off | (1 if m else 0), ident)
        chunk = payload[off:off + n]
        hdr[4:6] = struct.pack("!H", 8 + len(chunk))
        hdr[6] = 44
        out.append(bytes(hdr) + frag + chunk)
    return out


def even(total, size):
    return [(o, min(size, total - o), o + size < total) for o in range(0, total, size)]


def opt(raw):
    """IPv4 options as bytes, padded to a multiple of 4 with EOL."""
    return raw + bytes(-len(raw) % 4)


def ip4_checksum(hdr):
    s = sum(hdr[k] << 8 | hdr[k + 1] for k in range(0, len(hdr), 2))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def with_options(req, raw):
    """@req with the option bytes @raw put into its header (scapy would parse them)."""
    hdr = bytearray(req[:20] + raw)
    hdr[0] = 0x40 | len(hdr) // 4
    hdr[2:4] = struct.pack("!H", len(hdr) + len(req) - 20)
    hdr[10:12] = b"\0\0"
    hdr[10:12] = struct.pack("!H", ip4_checksum(hdr))
    return bytes(hdr) + req[20:]


def rr(length):
    return opt(bytes([7, length, 4]) + bytes(length - 3))


def cases():
    """(name, function of a side giving the packets to send, ICMP id)."""
    c = []

    def add(name, fn):
        c.append((name, fn, 0x4000 + len(c)))

    def echo4(s, ident, size=56, options=None, data=None):
        data = data if data is not None else bytes((i * 7 + ident) & 0xff for i in range(size))
        ip = IP(src=s.src4, dst=s.dst4, id=ident)
        return with_options(bytes(ip / ICMP(id=ident, seq=1) / data), options or b"")

    def echo6(s, ident, size=56, ext=None):
        data = bytes((i * 5 + ident) & 0xff for i in range(size))
        pkt = IPv6(src=s.src6, dst=s.dst6)
        if ext is not None:
            pkt = pkt / ext
        return bytes(pkt / ICMPv6EchoRequest(id=ident, seq=1, data=data))

    add("v4 plain", lambda s, i: [echo4(s, i)])
    add("v4 3000 in order", lambda s, i: split4(echo4(s, i, 3000), even(3008, 1480)))
    add("v4 3000 reverse", lambda s, i: split4(echo4(s, i, 3000), even(3008, 1480))[::-1])
    add("v4 3000 shuffled", lambda s, i: random.Random(i).sample(
        split4(echo4(s, i, 3000), even(3008, 512)), 6))
    add("v4 exact duplicate", lambda s, i: (lambda f: [f[0], f[0], f[1]])(
        split4(echo4(s, i, 100), [(0, 64, 1), (64, 44, 0)])))

    def dup_inside(s, i):
        req = echo4(s, i, 100)
        other = bytearray(req)
        other[20 + 24:20 + 32] = b"\xee" * 8  # different bytes, same place
        return (split4(req, [(0, 64, 1)]) + split4(bytes(other), [(16, 16, 1)])
                + split4(req, [(64, 44, 0)]))
    add("v4 duplicate inside a run, other bytes", dup_inside)
    add("v4 partial overlap, same bytes", lambda s, i: split4(
        echo4(s, i, 100), [(0, 64, 1), (56, 16, 1), (64, 44, 0)]))
    add("v4 missing last fragment", lambda s, i: split4(echo4(s, i, 100), [(0, 64, 1)]))
    add("v4 8-byte fragments", lambda s, i: split4(echo4(s, i, 56), even(64, 8)))
    add("v4 4-byte non-final fragment", lambda s, i: split4(
        echo4(s, i, 56), [(0, 4, 1), (8, 56, 0)]))
    add("v4 record route", lambda s, i: [echo4(s, i, options=rr(39))])
    add("v4 record route, one slot", lambda s, i: [echo4(s, i, options=rr(7))])
    add("v4 record route, no whole slot for the reply",
        lambda s, i: [echo4(s, i, options=rr(9))])
    add("v4 timestamp only", lambda s, i: [echo4(s, i, options=opt(
        bytes([68, 40, 5, 0]) + bytes(36)))])
    add("v4 timestamp and address", lambda s, i: [echo4(s, i, options=opt(
        bytes([68, 36, 5, 1]) + bytes(32)))])
    add("v4 timestamp full", lambda s, i: [echo4(s, i, options=opt(
        bytes([68, 8, 9, 0, 0, 0, 0, 7])))])
    add("v4 timestamp prespecified, ours first", lambda s, i: [echo4(s, i, options=opt(
        bytes([68, 20, 5, 3]) + socket.inet_aton(s.dst4) + bytes(4)
        + socket.inet_aton("198.18.7.7") + bytes(4)))])
    add("v4 router alert", lambda s, i: [echo4(s, i, options=opt(bytes([148, 4, 0, 0])))])
    add("v4 loose source route", lambda s, i: [echo4(s, i, options=opt(
        bytes([131, 7, 4, 198, 18, 7, 7, 0])))])
    add("v4 option length 0", lambda s, i: [echo4(s, i, options=opt(bytes([0x94, 0, 0, 0])))])
    add("v4 RR in a fragmented request", lambda s, i: split4(
        echo4(s, i, 3000, options=rr(39)), even(3008, 1440)))
    add("v4 over 65535", lambda s, i: split4(echo4(s, i, 2000), [(0, 1480, 1)])
        + [split4(echo4(s, i, 2000), [(1480, 528, 0)])[0][:6] + b"\x1f\xff"
           + split4(echo4(s, i, 2000), [(1480, 528, 0)])[0][8:]])

    add("v6 plain", lambda s, i: [echo6(s, i)])
    add("v6 3000 in order", lambda s, i: split6(echo6(s, i, 3000), even(3008, 1448)))
    add("v6 3000 reverse", lambda s, i: split6(echo6(s, i, 3000), even(3008, 1448))[::-1])
    add("v6 overlap", lambda s, i: split6(echo6(s, i, 100), [(0, 64, 1), (56, 16, 1),
                                                             (64, 44, 0)]))
    add("v6 non-final not a multiple of 8", lambda s, i: split6(
        echo6(s, i, 100), [(0, 60, 1), (60, 48, 0)]))
    add("v6 atomic fragment", lambda s, i: [echo6(s, i, ext=IPv6ExtHdrFragment(id=i, m=0))])
    add("v6 destination options, PadN", lambda s, i: [echo6(s, i, ext=IPv6ExtHdrDestOpt(
        options=[PadN(optdata=b"\x00\x00\x00\x00")]))])
    for t in (0x3e, 0x7e, 0xbe):
        add(f"v6 unknown destination option 0x{t:02x}", lambda s, i, t=t: [echo6(
            s, i, ext=IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=t, optdata=b"ab")]))])
    add("v6 hop-by-hop router alert", lambda s, i: [echo6(s, i, ext=IPv6ExtHdrHopByHop(
        options=[RouterAlert()]))])
    add("v6 hop-by-hop after destination options", lambda s, i: [echo6(
        s, i, ext=IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop())])
    add("v6 routing type 0, segments left 0", lambda s, i: [echo6(s, i, ext=IPv6ExtHdrRouting(
        type=0, segleft=0, addresses=["2001:db8:7::7"]))])
    add("v6 routing type 0, segments left 1", lambda s, i: [echo6(s, i, ext=IPv6ExtHdrRouting(
        type=0, segleft=1, addresses=["2001:db8:7::7"]))])

    def first_without_icmp(s, i):
        req = echo6(s, i, 100, ext=IPv6ExtHdrDestOpt())  # nh 60, then ICMPv6
        return split6(req, [(0, 8, 1), (8, len(req) - 48, 0)])
    add("v6 first fragment without the ICMPv6 header", first_without_icmp)
    add("v6 destination options inside the fragments", lambda s, i: split6(
        echo6(s, i, 2000, ext=IPv6ExtHdrDestOpt()), even(2016, 1024)))
    return c


def reassemble(pkts):
    """Whole datagrams out of what was captured (fragments put together)."""
    whole, parts = [], {}
    for p in pkts:
        if p[0] >> 4 == 4:
            frag = struct.unpack("!H", p[6:8])[0]
            if not frag & 0x3FFF:
                whole.append(p)
                continue
            hlen = (p[0] & 15) * 4
            key = ("4", p[4:6], p[12:20])
            parts.setdefault(key, []).append(((frag & 0x1FFF) * 8, frag & 0x2000, p[:hlen],
                                              p[hlen:struct.unpack("!H", p[2:4])[0]]))
        elif p[6] == 44:
            fo = struct.unpack("!H", p[42:44])[0]
            key = ("6", p[44:48], p[8:40])
            hdr = bytearray(p[:40])
            hdr[6] = p[40]
            parts.setdefault(key, []).append((fo & 0xFFF8, fo & 1, bytes(hdr), p[48:]))
        else:
            whole.append(p)
    for key, fr in parts.items():
        fr.sort(key=lambda f: f[0])
        data, ok = b"", True
        for off, _, _, chunk in fr:
            ok = ok and off == len(data)
            data += chunk
        if ok and not fr[-1][1]:
            hdr = bytearray(fr[0][2])
            if key[0] == "4":
                hdr[2:4] = struct.pack("!H", len(hdr) + len(data))
            else:
                hdr[4:6] = struct.pack("!H", len(data))
            whole.append(bytes(hdr) + data)
    return whole


def summary(side, dgram):
    """What the reply says, with what may differ between the sides masked."""
    names = {}
    if dgram[0] >> 4 == 4:
        names = {socket.inet_aton(side.src4): b"SRC", socket.inet_aton(side.dst4): b"DST"}
        hlen = (dgram[0] & 15) * 4
        icmp = dgram[hlen:]
        if icmp[0] != 0:
            return None
        opts = bytearray(dgram[20:hlen])
        shown, i = [], 0
        while i < len(opts) and opts[i] not in (0,):
            if opts[i] == 1:
                i += 1
                continue
            t, n, ptr = opts[i], opts[i + 1], opts[i + 2]
            body = bytes(opts[i + 3:i + n]) if t == 7 else bytes(opts[i + 4:i + n])
            words = [body[k:k + 4] for k in range(0, len(body), 4)]
            if t == 68:
                flg = opts[i + 3]
                if flg & 15 == 0:
                    words = [b"T" if w != b"\0" * 4 else w for w in words]
                else:
                    words = [names.get(w, w) if k % 2 == 0 else (b"T" if w != b"\0" * 4 else w)
                             for k, w in enumerate(words)]
                shown.append((t, n, ptr, flg, words))
            else:
                shown.append((t, n, ptr, [names.get(w, w) for w in words]))
            i += n
        return ("4", icmp[4:8], icmp[8:], tuple(map(str, shown)))
    if dgram[6] != 58 or dgram[40] != 129:
        return None
    return ("6", dgram[44:48], dgram[48:], ())


def differential(kernel_pid):
    peer_mac = json.loads(subprocess.run(
        ["nsenter", "-t", str(kernel_pid), "-n", "ip", "-j", "link", "show", "veth1"],
        capture_output=True, text=True, check=True).stdout)[0]["address"]
    sides = [Side("tunecho", "te1", "198.18.0.5", "198.18.0.6", "2001:db8:0:2::1",
                  "2001:db8:0:2::2"),
             Side("kernel", "veth0", "198.18.9.1", "198.18.9.2", "2001:db8:9::1",
                  "2001:db8:9::2", bytes.fromhex(peer_mac.replace(":", "")))]
    table = cases()
    outcome = {}
    for side in sides:
        side.receive()
        for name, fn, ident in table:
            for pkt in fn(side, ident):
                side.send(pkt)
            time.sleep(0.01)
        time.sleep(1.0)
        replies = {}
        for d in reassemble(side.receive()):
            s = summary(side, d)
            if s:
                replies[int.from_bytes(s[1][:2], "big")] = s
        outcome[side.name] = replies
    print(f"{'case':50} {'kernel':10} {'tunecho':10}")
    for name, _, ident in table:
        k, t = outcome["kernel"].get(ident), outcome["tunecho"].get(ident)
        print(f"{name:50} {'answered' if k else '-':10} {'answered' if t else '-':10}")
        check(k == t, f"differential: {name}"
              + ("" if k == t else f"\n       kernel:  {k}\n       tunecho: {t}"))


# ------------------------------------------------------------- the flood

def flood(p, log):
    """10 s of first fragments that never complete, on te1, with pings."""
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
    base = bytes(IP(src="198.18.0.5", dst="198.18.0.6", flags="MF", id=0) / ICMP()
                 / (b"x" * 1400))
    pings = [subprocess.Popen(["ping", "-c", "40", "-i", "0.2", "-W", "2", dst],
                              stdout=subprocess.PIPE, text=True)
             for dst in ("198.18.0.6", "198.18.0.2", "2001:db8:0:2::2")]
    rnd = random.Random(7)
    end, sent = time.monotonic() + 10, 0
    while time.monotonic() < end:
        for _ in range(100):
            pkt = bytearray(base)
            pkt[4:6] = rnd.getrandbits(16).to_bytes(2, "big")
            pkt[12:16] = bytes([198, 18, rnd.randrange(2, 250), rnd.randrange(1, 250)])
            pkt[10:12] = b"\0\0"
            pkt[10:12] = ip4_checksum(pkt[:20]).to_bytes(2, "big")
            tx.sendto(bytes(pkt), ("te1", ETH_P_IP))
            sent += 1
        time.sleep(0.005)
    outs = [q.communicate()[0] for q in pings]
    st = stats(p, log)
    te1 = next(i for i in st["interfaces"] if i["name"] == "te1")
    print(f"     flood: {sent} fragments sent; te1 evicted {te1['drops']['reasm_evicted']}, "
          f"reassembly memory {st['reassembly']['memory']} bytes")
    for q, out in zip(pings, outs):
        check(q.returncode == 0 and " 0% packet loss" in out,
              f"ping {q.args[-1]} during the flood: all answered")
    check(st["reassembly"]["memory"] <= 4 << 20, "reassembly memory under its 4 MiB cap")
    check(te1["drops"]["reasm_evicted"] > 0, "the evictions are counted under reasm_evicted")


def main():
    p, log = start_tunecho()
    peer = start_kernel_peer()
    try:
        real_clients(p, log)
        differential(peer.pid)
        flood(p, log)
    finally:
        p.terminate()
        p.wait(10)
        peer.kill()
    print(f"test-kernel: {len(failures)} failed")
    sys.exit(1 if failures else 0)


main()
