#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Scale: what 1, 100 and 1000 interfaces cost tunecho, against references.

Every measurement runs in a network namespace of its own (the script re-runs
itself under `unshare -n` for each part), with addresses from 198.18.0.0/15
and 2001:db8::/32 only. Interface i gets 198.18.0.0 + 4i + 1 with peer + 2,
and 2001:db8:1:i::1/64; + 3 and 2001:db8:2:i::1/64 are the reload's extras.

  start       spawning `tunecho -c CONF` until an echo to the last interface's
              peer is answered, for 1, 100 and 1000 interfaces; reference:
              `ip -batch` creating and configuring the same interfaces (the
              product never runs ip; benchmarks may)
  stop        SIGTERM until tunecho exits, 1000 interfaces, none may be left;
              references: `ip link delete group` on the ip -batch devices,
              and closing TUN descriptors one after another (each closing
              unregisters one device, waiting for RCU: about 18 ms each)
  reload      SIGHUP with 10 of 1000 interfaces changed (an extra IPv4 and
              IPv6 address each) until `reloaded:`; "n/a" when the daemon
              cannot reload yet; reference: ip -batch adding those addresses
  memory      VmRSS after ready with 1 and 1000 interfaces: KiB per interface
  check       `tunecho -t` on a config of 80k lines (80k addresses on one
              interface): parsing and checking must be near-linear (they
              were quadratic: 20 s); no reference
  v6          20k IPv6 addresses on one interface: spawning `tunecho -c CONF`
              until "ready", and until an echo to the last /64 is answered
              (the watcher's check after its monitor overflows must not be
              quadratic either); reference: ip -batch adding the same
              addresses to a TUN device
  echo        tunecho-load -c on IPv4 and IPv6, 2000 requests in flight in all:
              over 1000 interfaces (window 1 each) against over 1 (window
              1000); reported, with no target: a thousand descriptors
              cost epoll and the kernel's per-device work (the
              floor pays it too: see bench.py's 256/1 line)

Every part runs 3 times (once with --quick), interleaved; medians are
reported. The one-by-one close runs once: with 1000 it takes ~18 s, which
--quick cuts to 200, extrapolated and labelled so. --quick also puts 5k IPv6
addresses on the v6 interface instead of 20k: the kernel's cost of adding
them grows much faster than their number (0.25 s for 5k, 9 s for 20k,
for tunecho and ip alike).

The report is one table; the exit status is 0 even when a target is missed,
1 on a real error: tunecho not starting or not answering, a device left
behind, a reload that failed or did not apply, a corrupted reply.

Usage: scale.py --tunecho BIN --load BIN [--quick] [--close-count N]
Needs root (network namespaces, TUN devices, raw sockets).
"""

import argparse
import fcntl
import ipaddress
import json
import os
import resource
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

import bench  # the same directory: ip_batch, rss_kib, measure, sh

SIZES = (1, 100, 1000)
BIG = SIZES[-1]
CHECK_LINES = 80000  # the `tunecho -t` part: address lines of one interface
V6_ADDRS = 20000  # the v6 part: IPv6 addresses of one interface
V6_ADDRS_QUICK = 5000  # the kernel's own cost grows fast: 0.25 s for 5k, 9 s for 20k
RELOAD_CHANGED = 10
REF_GROUP = 77  # the ip -batch devices' link group (tunecho's is 29797)
# <linux/if_tun.h>, for the one-by-one close reference only.
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def name(i):
    return f"sc{i}"


def v4(i, k):
    """Address k (1: ours, 2: the peer, 3: the reload's extra) of interface i."""
    return str(ipaddress.IPv4Address("198.18.0.0") + 4 * i + k)


def v6(i, net=1):
    """Our IPv6 address on interface i (net 2: the reload's extra), as ip prints it."""
    return str(ipaddress.IPv6Address(f"2001:db8:{net}:{i:x}::1"))


def conf_text(n, changed=(), txqueuelen=None):
    lines = ["[global]", "log-level = notice"]
    for i in range(n):
        lines += [f"[{name(i)}]", f"address = {v4(i, 1)} peer {v4(i, 2)}", f"address = {v6(i)}/64"]
        if txqueuelen:
            lines.append(f"txqueuelen = {txqueuelen}")
        if i in changed:
            lines += [f"address = {v4(i, 3)}/32", f"address = {v6(i, 2)}/64"]
    return "\n".join(lines) + "\n"


def check_conf_text(n):
    """One interface with n IPv4 host addresses: n + 3 lines."""
    lines = ["[global]", "log-level = notice", f"[{name(0)}]"]
    lines += [f"address = {ipaddress.IPv4Address('198.18.0.0') + 1 + i}" for i in range(n)]
    return "\n".join(lines) + "\n"


def v6_many(k):
    """The k-th IPv6 address of the v6 part (each in a /64 of its own)."""
    return str(ipaddress.IPv6Address(f"2001:db8:3:{k:x}::1"))


def v6_conf_text(n):
    lines = ["[global]", "log-level = notice", f"[{name(0)}]", "txqueuelen = 1000"]
    lines += [f"address = {v6_many(k)}/64" for k in range(n)]
    return "\n".join(lines) + "\n"


def write_conf(path, text):
    # Whole or not at all: the daemon may read the file at any moment.
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def reload_changed(n):
    """RELOAD_CHANGED interfaces spread over all n."""
    return {k * n // RELOAD_CHANGED for k in range(RELOAD_CHANGED)}


def links():
    """Every link of this namespace but lo: all of them are ours."""
    out = bench.sh("ip -o link show").stdout
    names = [line.split(": ")[1].split("@")[0] for line in out.splitlines()]
    return [n for n in names if n != "lo"]


def addresses():
    """The (device, address) pairs of this namespace."""
    pairs = set()
    for line in bench.sh("ip -o addr show").stdout.splitlines():
        f = line.split()
        pairs.add((f[1], ipaddress.ip_interface(f[3]).ip.compressed))
    return pairs


def timed(fn, *a):
    t = time.monotonic()
    fn(*a)
    return time.monotonic() - t


def inet_checksum(data):
    data += b"\0" * (len(data) % 2)
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo4(dst, timeout=2.0, interval=0.1):
    """Ping dst until it answers: (monotonic time of the reply or None, requests sent).

    A raw socket of our own rather than ping(8), so that a process start
    does not count against tunecho's start; repeated every @interval because
    a first request lost would otherwise stall the measurement for good.
    """
    ident = os.getpid() & 0xFFFF
    seq = 0
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seq += 1
            body = struct.pack("!HH", ident, seq) + b"tunecho scale benchmark"
            s.sendto(struct.pack("!BBH", 8, 0, inet_checksum(b"\x08\0\0\0" + body)) + body,
                     (dst, 0))
            resend = min(deadline, time.monotonic() + interval)
            while (left := resend - time.monotonic()) > 0 and select.select([s], [], [], left)[0]:
                data, (src, _) = s.recvfrom(2048)
                t = time.monotonic()
                typ, _, _, rid, _ = struct.unpack_from("!BBHHH", data, (data[0] & 0x0F) * 4)
                if src == dst and typ == 0 and rid == ident:  # any of ours: a late one too
                    return t, seq
    return None, seq


def echo6(dst, timeout=2.0, interval=0.1):
    """echo4() for IPv6: the kernel fills in the ICMPv6 checksum of a raw socket."""
    ident = os.getpid() & 0xFFFF
    seq = 0
    with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as s:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seq += 1
            s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"tunecho scale benchmark",
                     (dst, 0))
            resend = min(deadline, time.monotonic() + interval)
            while (left := resend - time.monotonic()) > 0 and select.select([s], [], [], left)[0]:
                data, addr = s.recvfrom(2048)
                t = time.monotonic()
                typ, _, _, rid, _ = struct.unpack_from("!BBHHH", data)
                if addr[0] == dst and typ == 129 and rid == ident:
                    return t, seq
    return None, seq


class Daemon:
    """tunecho -c CONF; a thread reads its log so that the pipe never fills
    and every line has the time it arrived."""

    def __init__(self, binary, conf):
        self.lines = []  # (monotonic time, line)
        self.eof = False
        self.cond = threading.Condition()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([binary, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_line(self, words, since=0, timeout=10.0):
        """The first line from index @since holding one of @words:
        (index, time, line), or None on a timeout or the end of the log."""
        deadline = time.monotonic() + timeout
        with self.cond:
            i = since
            while True:
                for i in range(i, len(self.lines)):
                    t, line = self.lines[i]
                    if any(w in line for w in words):
                        return i, t, line
                i = len(self.lines)
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(left)

    def wait_ready(self):
        found = self.wait_line(["ready:"], timeout=30)
        if not found:
            with self.cond:
                tail = "\n".join(line for _, line in self.lines[-5:])
            raise RuntimeError(f"tunecho did not get ready:\n{tail}")
        return found

    def stop(self):
        """SIGTERM: seconds until it exited; a non-zero status is an error."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        dt = time.monotonic() - t
        self.reader.join()
        if rc:
            raise RuntimeError(f"tunecho exited with status {rc} on SIGTERM")
        return dt

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # On an error half-way: the daemon must not outlive the part
        # (and keep its namespace alive).
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_and_echo(args, conf, n):
    """A started tunecho and the seconds from its spawn to the first reply."""
    d = Daemon(args.tunecho, conf)
    try:
        _, ready, _ = d.wait_ready()
        reply, sent = echo4(v4(n - 1, 2))
        if reply is None:
            raise RuntimeError(f"no echo reply from {v4(n - 1, 2)} ({sent} requests)")
    except BaseException:
        d.__exit__()
        raise
    return d, {"ready": ready - d.t0, "start": reply - d.t0, "echoes": sent}


# Parts: each runs in a fresh namespace and returns what it measured.

def part_life(args, tmp):
    """Start, memory, stop."""
    conf = os.path.join(tmp, "tunecho.conf")
    write_conf(conf, conf_text(args.n))
    d, res = start_and_echo(args, conf, args.n)
    with d:
        res["rss"] = bench.rss_kib(d.proc.pid)
        res["stop"] = d.stop()
    res["left"] = links()
    return res


def part_reload(args, tmp):
    n, changed = args.n, reload_changed(args.n)
    conf = os.path.join(tmp, "tunecho.conf")
    write_conf(conf, conf_text(n))
    d, _ = start_and_echo(args, conf, n)
    res = {"reload": None}
    with d:
        write_conf(conf, conf_text(n, changed))
        since = len(d.lines)
        t = time.monotonic()
        d.proc.send_signal(signal.SIGHUP)
        found = d.wait_line(["reloaded:", "reload rejected", "reload failed", "not supported"],
                            since, args.reload_timeout)
        if not found:
            res["why"] = f"no 'reloaded:' line within {args.reload_timeout:g} s"
        elif "not supported" in found[2]:
            res["why"] = "tunecho cannot reload yet"
        elif "reloaded:" not in found[2]:
            res["error"] = found[2]
        else:
            res["reload"] = found[1] - t
            res["error"] = check_reload(found[2], n, changed)
        d.stop()
    res["left"] = links()
    return res


def check_reload(line, n, changed):
    """What is wrong after a reload, or None."""
    want = f"0 added, 0 removed, {len(changed)} changed, {n - len(changed)} unchanged"
    if want not in line:
        return f"expected '{want}': {line}"
    have = addresses()
    missing = [f"{name(i)} {a}" for i in sorted(changed) for a in (v4(i, 3), v6(i, 2))
               if (name(i), a) not in have]
    if missing:
        return f"{len(missing)} new addresses missing after the reload, e.g. {missing[0]}"
    last = n - 1  # not among the changed: must not have been disturbed
    if echo4(v4(last, 2))[0] is None:
        return f"{name(last)} stopped answering after the reload"
    return None


def part_ipref(args, tmp):
    """The ip -batch references: create + configure, add addresses, delete by group."""
    n, res = args.n, {}
    create = []
    for i in range(n):  # what tunecho does: group, no link-local, no DAD
        create += [f"tuntap add mode tun name {name(i)}",
                   f"link set {name(i)} group {REF_GROUP} addrgenmode none up",
                   f"addr add {v4(i, 1)} peer {v4(i, 2)} dev {name(i)}",
                   f"addr add {v6(i)}/64 dev {name(i)} nodad"]
    res["create"] = timed(bench.ip_batch, create)
    if n >= RELOAD_CHANGED:
        res["addr"] = timed(bench.ip_batch,
                            [line for i in sorted(reload_changed(n))
                             for line in (f"addr add {v4(i, 3)}/32 dev {name(i)}",
                                          f"addr add {v6(i, 2)}/64 dev {name(i)} nodad")])
    res["delete"] = timed(bench.sh, f"ip link delete group {REF_GROUP}")
    res["left"] = links()
    return res


def part_close(args, tmp):
    """Open args.n TUN devices, then close their descriptors one after another."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.n + 64), hard))
    fds = []
    try:
        t = time.monotonic()
        for i in range(args.n):
            fds.append(os.open("/dev/net/tun", os.O_RDWR))
            # struct ifreq: the name in 16 bytes, then the flags; 40 bytes in all.
            fcntl.ioctl(fds[-1], TUNSETIFF,
                        struct.pack("16sH22x", name(i).encode(), IFF_TUN | IFF_NO_PI))
        opened = time.monotonic() - t
        t = time.monotonic()
        while fds:
            os.close(fds.pop(0))
        closed = time.monotonic() - t
    finally:
        for fd in fds:
            os.close(fd)
    return {"open": opened, "close": closed, "left": links()}


def part_check(args, tmp):
    """`tunecho -t` on CHECK_LINES address lines."""
    conf = os.path.join(tmp, "tunecho.conf")
    write_conf(conf, check_conf_text(CHECK_LINES))
    t = time.monotonic()
    out = subprocess.run([args.tunecho, "-t", "-c", conf], capture_output=True, text=True,
                         timeout=120)
    res = {"check": time.monotonic() - t, "left": links()}
    if out.returncode or "OK, 1 interface" not in out.stdout:
        res["error"] = f"tunecho -t failed ({out.returncode}): {out.stdout}{out.stderr}"
    return res


def part_v6(args, tmp):
    """args.n IPv6 addresses on one interface (V6_ADDRS, V6_ADDRS_QUICK with --quick):
    ready, then answering."""
    conf = os.path.join(tmp, "tunecho.conf")
    write_conf(conf, v6_conf_text(args.n))
    last = str(ipaddress.IPv6Address(v6_many(args.n - 1)) + 1)
    with Daemon(args.tunecho, conf) as d:
        _, ready, _ = d.wait_ready()
        reply, sent = echo6(last, timeout=30)
        res = {"ready": ready - d.t0, "answered": None if reply is None else reply - ready,
               "echoes": sent}
        if reply is None:
            res["error"] = f"no echo reply from {last} ({sent} requests)"
        d.stop()
    res["left"] = links()
    return res


def part_v6ref(args, tmp):
    """ip -batch: a TUN device and the v6 part's addresses on it."""
    lines = [f"tuntap add mode tun name {name(0)}",
             f"link set {name(0)} addrgenmode none up"]
    lines += [f"addr add {v6_many(k)}/64 dev {name(0)} nodad" for k in range(args.n)]
    res = {"create": timed(bench.ip_batch, lines)}
    bench.sh(f"ip link delete {name(0)}")
    res["left"] = links()
    return res


def part_echo(args, tmp):
    """tunecho-load on every target of the config (the IPv4 peer and the
    next host of the IPv6 /64 of each interface), 2 x BIG requests in flight
    in all, however many interfaces.

    tunecho-load gives the kernel each IPv6 request's source address; left
    to choose, the kernel walks every address of every device per send
    (__ipv6_dev_get_saddr), and over 1000 interfaces the load tool, not
    tunecho, would be what is measured.
    """
    conf = os.path.join(tmp, "tunecho.conf")
    write_conf(conf, conf_text(args.n, txqueuelen=4 * BIG))  # room for all in flight
    d, _ = start_and_echo(args, conf, args.n)
    with d:
        res = bench.measure(d, args.load, ["-c", conf], args.duration, BIG // args.n)
        d.stop()
    res["left"] = links()
    return res


PARTS = {"life": part_life, "reload": part_reload, "ipref": part_ipref,
         "close": part_close, "echo": part_echo, "check": part_check, "v6": part_v6,
         "v6ref": part_v6ref}


def run_part(args, part, n, errors):
    """Run a part in a namespace of its own: its result, or None after an error."""
    argv = ["unshare", "-n", sys.executable, os.path.abspath(__file__),
            "--tunecho", args.tunecho, "--load", args.load, "--part", part, "--n", str(n)]
    if args.quick:
        argv.append("--quick")
    out = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    if out.returncode:
        errors.append(f"{part} {n}: failed (its traceback is above)")
        return None
    res = json.loads(out.stdout)
    if res.get("left"):
        errors.append(f"{part} {n}: {len(res['left'])} devices left behind, "
                      f"e.g. {res['left'][0]}")
    if res.get("error"):
        errors.append(f"{part} {n}: {res['error']}")
    if res.get("corrupted"):
        errors.append(f"{part} {n}: {res['corrupted']} corrupted replies")
    return res


def median(runs, key):
    vals = [r[key] for r in runs if r and r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(v, spec, unit=""):
    return format(v, spec) + unit if v is not None else "n/a"


def verdict(v, target):
    """A time against its upper bound."""
    if v is None:
        return "n/a"
    if target is None:
        return "-"
    return "ok" if v <= target else "MISS"


def collect(args, errors):
    """Every part, --rounds times, interleaved so that drift hits all alike."""
    r = {}
    for _ in range(args.rounds):
        for n in SIZES:
            r.setdefault(("life", n), []).append(run_part(args, "life", n, errors))
            r.setdefault(("ipref", n), []).append(run_part(args, "ipref", n, errors))
        r.setdefault("reload", []).append(run_part(args, "reload", BIG, errors))
        for n in (1, BIG):
            r.setdefault(("echo", n), []).append(run_part(args, "echo", n, errors))
        r.setdefault("check", []).append(run_part(args, "check", CHECK_LINES, errors))
        r.setdefault("v6", []).append(run_part(args, "v6", args.v6_addrs, errors))
        r.setdefault("v6ref", []).append(run_part(args, "v6ref", args.v6_addrs, errors))
    r["close"] = run_part(args, "close", args.close_count, errors)  # ~18 s: once
    return r


def ifaces(n):
    return f"{n} interface{'s' if n != 1 else ''}"


def table(args, r):
    """The rows: what, measured, reference, ratio, target, verdict."""
    rows = []
    for n in SIZES:
        start, ref = median(r[("life", n)], "start"), median(r[("ipref", n)], "create")
        big = n == BIG
        rows.append((f"start, {ifaces(n)}", fmt(start, ".3f", " s"), fmt(ref, ".3f", " s"),
                     fmt(ratio(start, ref), ".2f"), "<= 0.3 s" if big else "",
                     verdict(start, 0.3 if big else None)))
    stop, group = median(r[("life", BIG)], "stop"), median(r[("ipref", BIG)], "delete")
    rows.append((f"stop, {ifaces(BIG)}", fmt(stop, ".3f", " s"), fmt(group, ".3f", " s"),
                 fmt(ratio(stop, group), ".2f"), "<= 0.5 s", verdict(stop, 0.5)))
    close = r["close"]["close"] * BIG / args.close_count if r["close"] else None
    scaled = f" ({args.close_count} closed, x{BIG / args.close_count:g})" \
        if args.close_count != BIG else ""
    rows.append((f"  vs closing {BIG} TUN fds one by one{scaled}", "", fmt(close, ".2f", " s"),
                 fmt(ratio(stop, close), ".3f"), "", "-"))
    rel, ref = median(r["reload"], "reload"), median(r[("ipref", BIG)], "addr")
    failed = any(x and x.get("error") for x in r["reload"])
    rows.append((f"reload, {RELOAD_CHANGED} of {BIG} changed", fmt(rel, ".3f", " s"),
                 fmt(ref, ".3f", " s"), fmt(ratio(rel, ref), ".2f"), "applied",
                 "FAIL" if failed else "ok" if rel is not None else "n/a"))
    rss1, rss_big = median(r[("life", 1)], "rss"), median(r[("life", BIG)], "rss")
    per = ratio(rss_big - rss1, BIG - 1) if rss1 is not None and rss_big is not None else None
    rows.append(("RSS per interface", fmt(per, ".2f", " KiB"), "", "", "< 4 KiB",
                 "n/a" if per is None else "ok" if per < 4 else "MISS"))
    check = median(r["check"], "check")
    rows.append((f"tunecho -t, {CHECK_LINES // 1000}k address lines", fmt(check, ".3f", " s"),
                 "", "", "<= 0.5 s", verdict(check, 0.5)))
    v6_ready, v6_ref = median(r["v6"], "ready"), median(r["v6ref"], "create")
    rows.append((f"start, {args.v6_addrs // 1000}k IPv6 addresses", fmt(v6_ready, ".3f", " s"),
                 fmt(v6_ref, ".3f", " s"), fmt(ratio(v6_ready, v6_ref), ".2f"), "", "-"))
    v6_answer = median(r["v6"], "answered")
    rows.append(("  first reply after ready", fmt(v6_answer, ".3f", " s"), "", "", "<= 0.5 s",
                 verdict(v6_answer, 0.5)))
    rate1, rate_big = (median(r[("echo", n)], "rate") for n in (1, BIG))
    rows.append((f"echo over {ifaces(BIG)}", fmt(rate_big, ".0f", "/s"), fmt(rate1, ".0f", "/s"),
                 fmt(ratio(rate_big, rate1), ".3f"), "", "-"))
    return rows


def report(args, r, rows):
    runs = f"median of {args.rounds} runs" if args.rounds > 1 else "1 run"
    print(f"\n== scale: tunecho with 1 to {BIG} interfaces, {runs}, "
          "each part in a fresh network namespace")
    head = ("what", "measured", "reference", "ratio", "target", "verdict")
    widths = [max(len(row[c]) for row in rows + [head]) for c in range(len(head))]
    for row in [head] + rows:
        print("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w)
                        for c, (cell, w) in enumerate(zip(row, widths))).rstrip())

    print("\nreferences, same run: ip -batch creating and configuring the same interfaces"
          " (start),\nip link delete group on them (stop), ip -batch adding the reload's"
          f" addresses (reload),\nthe same load over 1 interface, window {BIG} (echo),"
          f" ip -batch adding {args.v6_addrs} IPv6 addresses\nto a TUN device (IPv6 addresses)")
    life = [x for x in r[("life", BIG)] if x]
    if life:
        print(f"start, {ifaces(BIG)}: ready after {median(life, 'ready'):.3f} s, answered "
              f"after {median(life, 'start'):.3f} s (echo requests sent: at most "
              f"{max(x['echoes'] for x in life)})")
    if r["close"]:
        c = r["close"]
        print(f"closing one by one: {c['close'] * 1000 / args.close_count:.1f} ms per fd"
              + (f", {args.close_count} closed, x{BIG / args.close_count:g} extrapolated"
                 if args.close_count != BIG else ""))
    why = next((x["why"] for x in r["reload"] if x and x.get("why")), None)
    if why:
        print(f"reload: n/a: {why}")
    rss1, rss_big = median(r[("life", 1)], "rss"), median(r[("life", BIG)], "rss")
    print(f"RSS: {fmt(rss1, '.0f')} KiB with 1 interface, {fmt(rss_big, '.0f')} KiB with {BIG}")
    for n in (1, BIG):
        runs = [x for x in r[("echo", n)] if x]
        if runs:
            print(f"echo over {ifaces(n)}: {median(runs, 'rate'):.0f} replies/s, "
                  f"tunecho {fmt(median(runs, 'cpu_us'), '.2f')} us CPU per reply, "
                  f"RTT p50 {median(runs, 'p50'):.0f} us, p99 {median(runs, 'p99'):.0f} us, "
                  f"{sum(x['lost'] for x in runs)} lost")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tunecho", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--quick", action="store_true",
                    help="one round, 1 s of load, 200 closes extrapolated, "
                         f"{V6_ADDRS_QUICK} IPv6 addresses instead of {V6_ADDRS} (a smoke test)")
    ap.add_argument("--close-count", type=int,
                    help=f"TUN fds to close one by one (default {BIG}, 200 with --quick)")
    ap.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.rounds = 1 if args.quick else 3
    args.duration = 1 if args.quick else 3
    args.close_count = args.close_count or (200 if args.quick else BIG)
    args.v6_addrs = V6_ADDRS_QUICK if args.quick else V6_ADDRS
    if args.close_count < 1:
        ap.error("--close-count: at least 1")
    args.reload_timeout = 10.0

    if os.environ.get("TUNECHO_BENCH_NETNS") != "1":
        os.environ["TUNECHO_BENCH_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)
    if args.part:  # one part, in the namespace run_part() made for it
        bench.sh("ip link set lo up")
        with tempfile.TemporaryDirectory(prefix="tunecho-scale-") as tmp:
            print(json.dumps(PARTS[args.part](args, tmp)))
        return 0

    errors = []
    results = collect(args, errors)
    rows = table(args, results)
    report(args, results, rows)
    counts = {v: [row[0].strip() for row in rows if row[5] == v]
              for v in ("ok", "MISS", "FAIL", "n/a")}
    print("\nsummary: " + ", ".join(f"{len(w)} {v}" for v, w in counts.items())
          + "".join(f"; {v}: {', '.join(w)}" for v, w in counts.items() if v != "ok" and w)
          + f"; {len(errors)} error{'s' if len(errors) != 1 else ''}"
          + "".join(f"\n  error: {e}" for e in errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
