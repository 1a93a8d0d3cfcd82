#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
TAP mode (issue 14) with real clients, in network namespaces this test
makes itself (it re-runs itself under `unshare -n`; the second namespace is
an `unshare -n` child entered with nsenter).

1. A TAP alone (lab0, 198.18.4.1/24, 2001:db8:0:4::1/64): ping, ping -6,
   fping to 20 hosts of each prefix; ip neigh REACHABLE/STALE, MACs
   distinct, locally administered unicast, the same after a restart; with
   `mac = 02:00:00:00:00:01` every host answers from that one.
2. A TAP in a bridge (lab1, master = br-lab), a veth into a second namespace
   with only 198.18.6.250/24: ping, ping -6, ndisc6, fping over 100 hosts,
   ping -s 3000, the neighbour table; a scapy ARP client.
3. Kernel differential: the same ARP request and NS to a tunecho host and
   to the second namespace's kernel, compared field by field.
4. Bad input crafted on lab0's own packet socket (frames written there reach
   tunecho), each counted under its reason.
5. announce = yes, reloads (TAP added, removed, hosts changed, tun -> tap),
   master errors, a TUN with hosts.

Root only (exit 77 otherwise; a failure under CI=true).
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tunecho_daemon  # noqa: E402

if os.geteuid() != 0:
    print("test-tap: needs root; skipped", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)
if not os.environ.get("TE_TAP_NETNS"):
    os.environ["TE_TAP_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)

from scapy.all import conf as scapy_conf  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.layers.l2 import ARP, Dot1Q, Ether  # noqa: E402
from scapy.sendrecv import srp  # noqa: E402

scapy_conf.verb = 0
TUNECHO = os.environ.get("TUNECHO_BIN", "build/src/tunecho/tunecho")
failures = []
PEER = None  # the second namespace's pid
PEER_PROC = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*cmd, ns=None, timeout=30):
    if ns:
        cmd = ("nsenter", "-t", str(ns), "-n") + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def sh(*cmd, ns=None):
    r = run(*cmd, ns=ns)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)}: {r.stderr}")


def config(lab1_hosts="198.18.6.0/24", mac="auto", lab2=None, mod0="tun", lab1=True):
    text = f"""[global]
log-level = notice
[lab0]
mode = tap
address = 198.18.4.1/24
address = 2001:db8:0:4::1/64
mac = {mac}
[tun0]
address = 198.18.8.1 peer 198.18.8.2
hosts = 198.18.7.0/28
[mod0]
mode = {mod0}
address = 198.18.9.1/24
"""
    if lab1:
        text += f"""[lab1]
mode = tap
master = br-lab
hosts = {lab1_hosts}
hosts = 2001:db8:0:6::/64
"""
    if lab2:
        text += "[lab2]\nmode = tap\nmaster = br-ann\nannounce = yes\n" + \
            "".join(f"hosts = {h}\n" for h in lab2)
    return text


class Daemon(tunecho_daemon.Daemon):
    def reload(self, text):
        start = self.end()
        self.write(text)
        self.p.send_signal(signal.SIGHUP)
        ok = self.wait_for("reloaded", start)
        check(ok, "reload done")
        return self.text(start)

    def stats(self, name):
        for i in self.all_stats()["interfaces"]:
            if i["name"] == name:
                return i
        return None

    def stop(self, quiet=False):
        rc = self.terminate()
        if not quiet:
            check(rc == 0, f"tunecho stopped cleanly (exit status {rc})")
        return rc


def ping(*args, ns=None):
    return run("ping", "-n", *args, ns=ns, timeout=60)


def fping(hosts, ns=None, v6=False):
    r = run("fping", *(["-6"] if v6 else []), "-q", "-c", "1", "-p", "20", "-i", "1",
            "-t", "1000", *hosts, ns=ns, timeout=60)
    alive = [m.group(1) for m in re.finditer(r"^(\S+)\s+:.*xmt/rcv/%loss = 1/1/", r.stderr, re.M)]
    return alive


def neigh(dev, ns=None):
    """{address: (mac, state)} of ip neigh on @dev."""
    out = run("ip", "neigh", "show", "dev", dev, ns=ns).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+) lladdr (\S+) .*?(\S+)$", line.strip())
        if m:
            res[m.group(1)] = (m.group(2), m.group(3))
    return res, out


def local_unicast(mac):
    b = int(mac.split(":")[0], 16)
    return b & 2 and not b & 1


# ---------------------------------------------------------------- 1. alone

def test_alone(d, again=None):
    v4 = [f"198.18.4.{i}" for i in range(10, 30)]
    v6 = [f"2001:db8:0:4::{i:x}" for i in range(10, 30)]
    r = ping("-c", "2", "-i", "0.2", "-W", "2", "198.18.4.7")
    check(" 0% packet loss" in r.stdout, "lab0: ping 198.18.4.7 answered")
    r = ping("-6", "-c", "2", "-i", "0.2", "-W", "2", "2001:db8:0:4::7")
    check(" 0% packet loss" in r.stdout, "lab0: ping -6 2001:db8:0:4::7 answered")
    r = ping("-c", "1", "-W", "2", "-s", "3000", "198.18.4.8")
    check(" 0% packet loss" in r.stdout, "lab0: ping -s 3000 answered")
    a4, a6 = fping(v4), fping(v6, v6=True)
    check(len(a4) == 20, f"lab0: fping to 20 hosts of the /24: {len(a4)} alive")
    check(len(a6) == 20, f"lab0: fping -6 to 20 hosts of the /64: {len(a6)} alive")
    table, out = neigh("lab0")
    macs = {h: table.get(h, (None, None)) for h in v4 + v6}
    good = [h for h, (m, s) in macs.items() if s in ("REACHABLE", "STALE")]
    check(len(good) == 40, f"lab0: ip neigh has 40 hosts REACHABLE or STALE ({len(good)})")
    m4 = [macs[h][0] for h in v4 if macs[h][0]]
    m6 = [macs[h][0] for h in v6 if macs[h][0]]
    check(len(set(m4)) == 20 and len(set(m6)) == 20 and len(set(m4 + m6)) == 40,
          "lab0: mac = auto: a distinct MAC per host")
    check(all(local_unicast(m) for m in m4 + m6), "lab0: every MAC locally administered unicast")
    if again is not None:
        check(again == macs, "lab0: mac = auto: the same MACs after a restart")
    return macs, out


def test_fixed_mac(d):
    d.reload(config(mac="02:00:00:00:00:01"))
    run("ip", "neigh", "flush", "dev", "lab0")
    v4 = [f"198.18.4.{i}" for i in range(10, 15)]
    v6 = [f"2001:db8:0:4::{i:x}" for i in range(10, 15)]
    a = fping(v4) + fping(v6, v6=True)
    table, _ = neigh("lab0")
    got = {table.get(h, (None,))[0] for h in v4 + v6}
    check(len(a) == 10 and got == {"02:00:00:00:00:01"},
          f"lab0: mac = 02:00:00:00:00:01: every host answers with it ({len(a)}, {got})")
    d.reload(config())
    run("ip", "neigh", "flush", "dev", "lab0")


# ---------------------------------------------------------------- 2. bridge

def setup_bridge():
    global PEER
    PEER_PROC.append(subprocess.Popen(["unshare", "-n", "sleep", "120"]))
    PEER = PEER_PROC[0].pid
    time.sleep(0.2)
    for br in ("br-lab", "br-ann"):
        sh("ip", "link", "add", br, "type", "bridge")
        sh("ip", "link", "set", br, "up")
    sh("ip", "link", "add", "vA", "type", "veth", "peer", "name", "vB")
    sh("ip", "link", "set", "vA", "master", "br-lab")
    sh("ip", "link", "set", "vA", "up")
    sh("ip", "link", "set", "vB", "netns", str(PEER))
    sh("ip", "link", "set", "lo", "up", ns=PEER)
    sh("ip", "addr", "add", "198.18.6.250/24", "dev", "vB", ns=PEER)
    sh("ip", "addr", "add", "2001:db8:0:6::250/64", "dev", "vB", "nodad", ns=PEER)
    sh("ip", "link", "set", "vB", "up", ns=PEER)
    # The crafting port: vC in the bridge, vD in this namespace, no address.
    sh("ip", "link", "add", "vC", "type", "veth", "peer", "name", "vD")
    sh("sysctl", "-qw", "net.ipv6.conf.vD.disable_ipv6=1")
    sh("ip", "link", "set", "vC", "master", "br-lab")
    sh("ip", "link", "set", "vC", "up")
    sh("ip", "link", "set", "vD", "up")
    # The announce sniffer: vE in br-ann, vF here.
    sh("ip", "link", "add", "vE", "type", "veth", "peer", "name", "vF")
    sh("sysctl", "-qw", "net.ipv6.conf.vF.disable_ipv6=1")
    sh("ip", "link", "set", "vE", "master", "br-ann")
    sh("ip", "link", "set", "vE", "up")
    sh("ip", "link", "set", "vF", "up")


def test_bridge(d):
    r = ping("-c", "2", "-i", "0.2", "-W", "3", "198.18.6.7", ns=PEER)
    check(" 0% packet loss" in r.stdout, "lab1 via bridge: ping 198.18.6.7 answered")
    r = ping("-6", "-c", "2", "-i", "0.2", "-W", "3", "2001:db8:0:6::7", ns=PEER)
    check(" 0% packet loss" in r.stdout, "lab1 via bridge: ping -6 2001:db8:0:6::7 answered")
    r = ping("-c", "1", "-W", "3", "-s", "3000", "198.18.6.8", ns=PEER)
    check(" 0% packet loss" in r.stdout, "lab1 via bridge: ping -s 3000 answered")
    r = ping("-6", "-c", "1", "-W", "3", "-s", "3000", "2001:db8:0:6::8", ns=PEER)
    check(" 0% packet loss" in r.stdout, "lab1 via bridge: ping -6 -s 3000 answered")
    nd = run("ndisc6", "-r", "2", "-w", "1000", "2001:db8:0:6::9", "vB", ns=PEER)
    print("ndisc6 printed:\n" + nd.stdout.rstrip())
    m = re.search(r"Target link-layer address:\s*(\S+)", nd.stdout)
    hosts = [f"198.18.6.{i}" for i in range(1, 101)]
    alive = fping(hosts, ns=PEER)
    check(len(alive) == 100, f"lab1 via bridge: fping over 100 hosts: {len(alive)} alive")
    ping("-6", "-c", "1", "-W", "2", "2001:db8:0:6::9", ns=PEER)
    table, out = neigh("vB", ns=PEER)
    print("ip neigh (second namespace, first lines):\n" + "\n".join(out.splitlines()[:6]))
    nd_mac = m.group(1).lower() if m else None
    check(nd_mac is not None and table.get("2001:db8:0:6::9", (None,))[0] == nd_mac,
          f"ndisc6: target link-layer address {nd_mac} equals ip neigh's")
    macs = [table.get(h, (None,))[0] for h in hosts]
    check(all(macs) and len(set(macs)) == 100 and all(local_unicast(x) for x in macs),
          "lab1 via bridge: the neighbour table lists 100 distinct local unicast MACs")
    # scapy ARP client from vD (checked against the kernel first).
    res = {}
    for ip in ("198.18.6.250", "198.18.6.7"):
        ans, _ = srp(Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:5e:10:99:01") /
                     ARP(op=1, hwsrc="02:00:5e:10:99:01", psrc="198.18.6.240", pdst=ip),
                     iface="vD", timeout=2, retry=1)
        res[ip] = [rcv for _, rcv in ans]
        for rcv in res[ip]:
            print(f"scapy ARP client, who-has {ip}: {rcv.summary()} hwsrc {rcv[ARP].hwsrc}")
    check(len(res["198.18.6.250"]) == 1, "scapy ARP client: the kernel answers it")
    check(len(res["198.18.6.7"]) == 1 and
          res["198.18.6.7"][0][ARP].hwsrc == table.get("198.18.6.7", (None,))[0],
          "scapy ARP client: tunecho's host answers with the MAC ip neigh learned")
    return res


# ------------------------------------------------------- 3. differential

def test_differential(d, arp):
    """The same ARP request and NS to the kernel (.250) and to a host (.7)."""
    k, t = arp["198.18.6.250"], arp["198.18.6.7"]
    if k and t:
        k, t = k[0], t[0]
        # May differ: hwsrc/psrc (each its own), and the Ethernet source.
        for f in ("op", "hwtype", "ptype", "hwlen", "plen", "hwdst", "pdst"):
            check(getattr(k[ARP], f) == getattr(t[ARP], f),
                  f"differential ARP: {f} the same ({getattr(k[ARP], f)}, {getattr(t[ARP], f)})")
        check(k[Ether].dst == t[Ether].dst == "02:00:5e:10:99:01",
              "differential ARP: the reply goes to the asker's MAC")
    src, smac = "2001:db8:0:6::240", "02:00:5e:10:99:01"
    got = {}
    for tgt in ("2001:db8:0:6::250", "2001:db8:0:6::7"):
        b = socket.inet_pton(socket.AF_INET6, tgt)
        sn = "ff02::1:ff" + b[13:14].hex() + ":" + b[14:16].hex()
        mc = "33:33:ff:" + ":".join(b[13:16].hex()[i:i + 2] for i in (0, 2, 4))
        ans, _ = srp(Ether(src=smac, dst=mc) / IPv6(src=src, dst=sn, hlim=255) /
                     ICMPv6ND_NS(tgt=tgt) / ICMPv6NDOptSrcLLAddr(lladdr=smac),
                     iface="vD", timeout=2, retry=1)
        got[tgt] = [r for _, r in ans if ICMPv6ND_NA in r]
    k, t = got["2001:db8:0:6::250"], got["2001:db8:0:6::7"]
    check(len(k) == 1 and len(t) == 1, f"differential NS: one NA each ({len(k)}, {len(t)})")
    if k and t:
        k, t = k[0], t[0]
        # May differ: the NA's source and target (each its own), the option's MAC.
        for f in ("R", "S", "O"):
            check(getattr(k[ICMPv6ND_NA], f) == getattr(t[ICMPv6ND_NA], f),
                  f"differential NS: flag {f} the same ({getattr(k[ICMPv6ND_NA], f)}, "
                  f"{getattr(t[ICMPv6ND_NA], f)})")
        check(k[IPv6].hlim == t[IPv6].hlim == 255, "differential NS: hop limit 255 both")
        check(k[IPv6].dst == t[IPv6].dst == src and k[Ether].dst == t[Ether].dst == smac,
              "differential NS: both to the soliciting address and MAC")
        check(ICMPv6NDOptDstLLAddr in k and ICMPv6NDOptDstLLAddr in t and
              t[ICMPv6NDOptDstLLAddr].lladdr == t[Ether].src,
              "differential NS: both with the target link-layer option (tunecho's = its MAC)")


# --------------------------------------------------------- 4. bad input

class Raw:
    def __init__(self, dev):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.s.bind((dev, 0))

    def send(self, frame, wait=0.6):
        """Frames tunecho wrote (incoming on the device) after @frame."""
        self.s.setblocking(False)
        while True:
            try:
                self.s.recv(9000)
            except BlockingIOError:
                break
        self.s.send(bytes(frame))
        got, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, addr = self.s.recvfrom(9000)
            except (socket.timeout, BlockingIOError):
                break
            if addr[2] != socket.PACKET_OUTGOING:
                got.append(Ether(data))
        return got


def test_bad_input(d):
    raw = Raw("lab0")
    me, host = "02:00:5e:10:99:02", "198.18.4.44"
    arp_req = Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=me, psrc="198.18.4.1", pdst=host)
    # The host's MAC, from a good request first.
    good = [f for f in raw.send(arp_req) if ARP in f and f[ARP].op == 2]
    check(len(good) == 1, "lab0 raw: a good ARP request answered")
    hmac = good[0][ARP].hwsrc if good else "02:00:00:00:00:00"

    def case(name, frame, reason, answered=False, key="drops"):
        before = d.stats("lab0")
        got = raw.send(frame)
        after = d.stats("lab0")
        n = (after[key][reason] - before[key][reason]) if key == "drops" \
            else after[reason] - before[reason]
        replies = [f for f in got if ARP in f or ICMPv6ND_NA in f]
        check(n == 1 and bool(replies) == answered,
              f"bad input: {name}: counted {reason} {n} (want 1), "
              f"answered {len(replies)} (want {'some' if answered else 0})")
        return replies

    ns = IPv6(src="2001:db8:0:4::1", dst="ff02::1:ff00:44", hlim=255) / \
        ICMPv6ND_NS(tgt="2001:db8:0:4::44") / ICMPv6NDOptSrcLLAddr(lladdr=me)
    snmac = "33:33:ff:00:00:44"
    case("VLAN-tagged frame", Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=5) /
         arp_req[ARP], "vlan")
    case("runt", bytes(Ether(src=me, dst=hmac, type=0x0800))[:14] + b"\x45\x00", "runt")
    case("unknown EtherType", Ether(src=me, dst=hmac, type=0x88b5) / (b"x" * 46),
         "unknown_ethertype")
    case("ARP for the device's own address",
         Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=me, psrc="198.18.4.2",
                                                     pdst="198.18.4.1"), "arp_not_ours")
    case("ARP outside the hosts",
         Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=me, psrc="198.18.4.1",
                                                     pdst="198.18.5.9"), "arp_not_ours")
    bad_hlim = ns.copy()
    bad_hlim[IPv6].hlim = 254
    case("NS with hop limit 254", Ether(src=me, dst=snmac) / bad_hlim, "bad_ndp")
    bad_sum = ns.copy()
    bad_sum[ICMPv6ND_NS].cksum = 0x1234
    case("NS with a bad checksum", Ether(src=me, dst=snmac) / bad_sum, "bad_ndp")
    case("NS for a non-host", Ether(src=me, dst="33:33:ff:00:00:01") /
         IPv6(src="2001:db8:0:4::44", dst="ff02::1:ff00:1", hlim=255) /
         ICMPv6ND_NS(tgt="2001:db8:0:4::1") / ICMPv6NDOptSrcLLAddr(lladdr=me), "ndp_not_ours")
    case("RS", Ether(src=me, dst="33:33:00:00:00:02") /
         IPv6(src="2001:db8:0:4::1", dst="ff02::2", hlim=255) / ICMPv6ND_RS(), "ndp_other")
    # Gratuitous ARP for a host from another MAC: defended once, then held.
    garp = Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=me, psrc="198.18.4.45", pdst="198.18.4.45")
    b0 = d.stats("lab0")
    got = raw.send(garp)
    defence = [f for f in got if ARP in f and f[Ether].dst == "ff:ff:ff:ff:ff:ff" and
               f[ARP].psrc == f[ARP].pdst == "198.18.4.45" and f[ARP].hwsrc != me]
    check(len(defence) == 1, f"gratuitous ARP for a host: defended by one broadcast "
          f"announcement ({len(defence)})")
    got = raw.send(garp)
    b1 = d.stats("lab0")
    check(not [f for f in got if ARP in f] and b1["defences_held"] - b0["defences_held"] == 1,
          "a second one within 10 s: not answered, counted defences_held")
    # A DAD probe for a host: an unsolicited NA to ff02::1.
    dad = Ether(src=me, dst="33:33:ff:00:00:46") / \
        IPv6(src="::", dst="ff02::1:ff00:46", hlim=255) / ICMPv6ND_NS(tgt="2001:db8:0:4::46")
    got = [f for f in raw.send(dad) if ICMPv6ND_NA in f]
    b2 = d.stats("lab0")
    check(len(got) == 1 and got[0][IPv6].dst == "ff02::1" and got[0][ICMPv6ND_NA].S == 0 and
          got[0][ICMPv6ND_NA].O == 1 and got[0][ICMPv6ND_NA].tgt == "2001:db8:0:4::46",
          "DAD probe for a host: defended by an unsolicited NA (S=0, O=1) to ff02::1")
    check(b2["na_sent"] - b1["na_sent"] == 1, "DAD probe: counted in na_sent")


# ------------------------------------------------- 5. announce, reloads

def sniff_garps(sock, seconds):
    out, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(2048)
        except socket.timeout:
            break
        f = Ether(data)
        if ARP in f and f[ARP].psrc == f[ARP].pdst:
            out.append(f[ARP].psrc)
    return out


def test_announce_and_reload(d):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind(("vF", 0))
    text = d.reload(config(lab2=["198.18.10.0/28"]))
    got = sniff_garps(s, 1.5)
    want = [f"198.18.10.{i}" for i in range(1, 15)]
    check(sorted(got) == sorted(want), f"lab2 added with announce = yes: 14 gratuitous ARPs, "
          f"one per host ({len(got)})")
    st = d.stats("lab2")
    check(st is not None and st["announcements"] == 14, "lab2: announcements = 14")
    text = d.reload(config(lab2=["198.18.10.0/28", "198.18.10.32/28"]))
    got = sniff_garps(s, 1.5)
    want = [f"198.18.10.{i}" for i in range(33, 47)]
    check(sorted(got) == sorted(want), f"reload adding a /28: only the 14 new hosts announced "
          f"({len(got)}: {sorted(got)[:3]}...)")
    # lab1's hosts changed: .7 no longer, 198.18.6.0/24 -> 198.18.6.128/25.
    d.reload(config(lab1_hosts="198.18.6.128/25", lab2=["198.18.10.0/28"]))
    run("ip", "neigh", "flush", "dev", "vB", ns=PEER)
    r1 = ping("-c", "1", "-W", "2", "198.18.6.200", ns=PEER)
    r2 = ping("-c", "1", "-W", "1", "198.18.6.7", ns=PEER)
    check(" 0% packet loss" in r1.stdout, "lab1 hosts changed: a new host answered")
    check("100% packet loss" in r2.stdout, "lab1 hosts changed: an old one no longer")
    # mod0 tun -> tap, lab2 removed.
    text = d.reload(config(mod0="tap"))
    check("mod0" in text and "making the device anew" in text,
          "mode tun -> tap: the log says the device is made anew")
    link = run("ip", "-d", "link", "show", "mod0").stdout
    check("tun type tap" in link, "mod0 is a TAP now")
    check(run("ip", "link", "show", "lab2").returncode != 0, "lab2 removed: no device left")
    r = ping("-c", "1", "-W", "2", "198.18.9.5")
    check(" 0% packet loss" in r.stdout, "mod0 as a TAP answers 198.18.9.5")


def test_tun_hosts(d):
    # The route is the kernel's, not a `route` line: a route line's hosts
    # count as hosts too (README), and .100 would be answered.
    sh("ip", "route", "add", "198.18.7.0/24", "dev", "tun0")
    r1 = ping("-c", "1", "-W", "2", "198.18.7.5")
    before = d.stats("tun0")["drops"]["not_a_host"]
    r2 = ping("-c", "1", "-W", "1", "198.18.7.100")
    after = d.stats("tun0")["drops"]["not_a_host"]
    check(" 0% packet loss" in r1.stdout, "TUN with hosts = 198.18.7.0/28: 198.18.7.5 answered")
    check("100% packet loss" in r2.stdout and after - before == 1,
          f"TUN: 198.18.7.100 not answered, counted not_a_host ({after - before})")


def test_master_errors():
    for master, want in (("nosuch", "no such interface"), ("vD", "that is not a bridge")):
        text = "[global]\nlog-level = notice\n[bad0]\nmode = tap\nmaster = %s\n" \
            "hosts = 198.18.11.0/24\n" % master
        d = Daemon(text, must_start=False)
        rc = d.stop(quiet=True)
        log = d.text()
        check(rc != 0 and not d.ready and f"master = {master}: {want}" in log,
              f"master = {master}: the start fails with '{want}' (exit {rc})")
        check(run("ip", "link", "show", "bad0").returncode != 0,
              f"master = {master}: no device left behind")


def main():
    t0 = time.monotonic()
    sh("ip", "link", "set", "lo", "up")
    setup_bridge()
    d = Daemon(config())
    try:
        macs, out = test_alone(d)
        print("ip neigh (lab0, first lines):\n" + "\n".join(out.splitlines()[:4]))
        test_fixed_mac(d)
        test_tun_hosts(d)
        arp = test_bridge(d)
        test_differential(d, arp)
        test_bad_input(d)
        test_announce_and_reload(d)
    finally:
        d.stop()
    d = Daemon(config())
    try:
        test_alone(d, again=macs)
    finally:
        d.stop()
    test_master_errors()
    for p in PEER_PROC:
        p.kill()
        p.wait()
    print(f"{len(failures)} failed; {time.monotonic() - t0:.1f} s")
    sys.exit(1 if failures else 0)


main()
