#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The tunecho benchmark: one table of ratios measured in the same run.

Everything happens in a network namespace this script creates (it re-runs
itself under `unshare -n`), with addresses from 198.18.0.0/15 only:

  throughput  tunecho against the floor (tests/bench/floor-echo.c: epoll +
              read/write, the same packet code) and against the kernel
              answering over a veth pair into a second namespace, all under
              the same tunecho-load run, with 1, 16 and 256 interfaces;
              tunecho and the floor alternate, medians are reported
  latency     one `ping -f` (one request in flight) for a fixed count:
              tunecho, tunecho with busy-poll-us, the floor, the kernel
  clients     8 parallel `ping -f -l 16` and one fping across all interfaces
  memory      tunecho's RSS with 1 and 256 interfaces

Usage: bench.py --tunecho BIN --load BIN --floor BIN [--quick]
Needs root (network namespaces, TUN devices, raw sockets).
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, text=True, capture_output=True, **kw)


def ip_batch(lines, netns_pid=None):
    """Run `ip -batch` (tests may use ip; the product never does)."""
    prefix = f"nsenter -t {netns_pid} -n " if netns_pid else ""
    with tempfile.NamedTemporaryFile("w", suffix=".ip") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        sh(f"{prefix}ip -batch {f.name}")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Responder:
    """A responder process, started and waited for until it says ready."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True)
        for line in self.proc.stderr:
            if "ready" in line:
                break
        else:
            raise RuntimeError(f"{argv[0]} did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.communicate(timeout=30)


def tun_names(n):
    return [f"bt{i}" for i in range(n)]


def tun_target(i):
    return f"198.19.{i}.2"


def kernel_target(i):
    return f"198.18.{128 + i // 250}.{1 + i % 250}"


def make_tuns(n):
    lines = []
    for i, name in enumerate(tun_names(n)):
        lines += [f"tuntap add mode tun name {name}",
                  f"link set {name} up txqueuelen 1000",
                  f"addr add 198.19.{i}.1 peer {tun_target(i)} dev {name}"]
    ip_batch(lines)


def delete_tuns(n):
    ip_batch([f"link del {name}" for name in tun_names(n)])


def load(load_bin, targets, duration, window):
    out = subprocess.run([load_bin, "--json", "-d", str(duration), "-w", str(window)] + targets,
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"tunecho-load failed: {out.stderr}")
    return json.loads(out.stdout)["total"]


def measure(resp, load_bin, targets, duration, window):
    """Load @targets; replies/s, responder CPU µs per reply, RTT, loss."""
    pid = resp.proc.pid if resp else None
    t0 = cpu_ticks(pid) if pid else 0
    total = load(load_bin, targets, duration, window)
    cpu = (cpu_ticks(pid) - t0) / CLK_TCK if pid else None
    replies = total["received"]
    return {
        "rate": total["rate"],
        "cpu_us": cpu * 1e6 / replies if cpu is not None and replies else None,
        "p50": total["rtt_us"]["p50"],
        "p99": total["rtt_us"]["p99"],
        "lost": total["lost"],
        "corrupted": total["corrupted"],
    }


def tunecho_conf(n, busy_poll=0):
    f = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    f.write(f"[global]\nlog-level = notice\nbusy-poll-us = {busy_poll}\n")
    for name in tun_names(n):
        f.write(f"[{name}]\nattach = yes\n")
    f.close()
    return f.name


def median_of(runs, key):
    vals = [r[key] for r in runs if r[key] is not None]
    return statistics.median(vals) if vals else None


def throughput(args, kernel_pid, results):
    for n in (1, 16, 256):
        make_tuns(n)
        targets = [tun_target(i) for i in range(n)]
        window = max(1, 64 // n)
        conf = tunecho_conf(n)
        runs = {"tunecho": [], "floor": []}
        for _ in range(args.rounds):  # alternate, so drift hits both alike
            for kind in ("tunecho", "floor"):
                argv = ([args.tunecho, "-c", conf] if kind == "tunecho"
                        else [args.floor] + tun_names(n))
                resp = Responder(argv)
                if kind == "tunecho" and n in (1, 256):
                    results[f"rss_{n}"] = rss_kib(resp.proc.pid)
                runs[kind].append(measure(resp, args.load, targets, args.duration, window))
                resp.stop()
        os.unlink(conf)
        delete_tuns(n)
        kernel = [measure(None, args.load, [kernel_target(i) for i in range(n)],
                          args.duration, window)]
        for kind, rs in (("tunecho", runs["tunecho"]), ("floor", runs["floor"]),
                         ("kernel", kernel)):
            results[(n, kind)] = {k: median_of(rs, k) for k in rs[0]}
            results[(n, kind)]["lost"] = sum(r["lost"] for r in rs)
            results[(n, kind)]["corrupted"] = sum(r["corrupted"] for r in rs)


def ping_flood(target, count):
    """A single `ping -f`: one request in flight. (replies/s, avg RTT µs)."""
    out = sh(f"ping -n -q -f -c {count} {target}").stdout
    m = re.search(r"(\d+) received.*time (\d+)ms", out, re.S)
    rtt = re.search(r"= [\d.]+/([\d.]+)/", out)
    received, ms = int(m.group(1)), max(1, int(m.group(2)))
    return received * 1000 / ms, float(rtt.group(1)) * 1000


def latency(args, results):
    make_tuns(1)
    for kind, argv in (("tunecho", [args.tunecho, "-c", tunecho_conf(1)]),
                       ("tunecho busy-poll", [args.tunecho, "-c",
                                              tunecho_conf(1, args.busy_poll)]),
                       ("floor", [args.floor, "bt0"])):
        resp = Responder(argv)
        idle0 = cpu_ticks(resp.proc.pid)
        time.sleep(1)  # idle: busy polling must cost nothing without traffic
        idle = cpu_ticks(resp.proc.pid) - idle0
        results[("ping -f", kind)] = ping_flood(tun_target(0), args.count) + (idle,)
        resp.stop()
        if argv[1:2] == ["-c"]:
            os.unlink(argv[2])
    delete_tuns(1)
    results[("ping -f", "kernel")] = ping_flood(kernel_target(0), args.count) + (None,)


def clients(args, results):
    n = 16
    make_tuns(n)
    conf = tunecho_conf(n)
    resp = Responder([args.tunecho, "-c", conf])
    t = time.monotonic()
    procs = [subprocess.Popen(f"ping -n -q -f -l 16 -c {args.count} {tun_target(i % n)}",
                              shell=True, stdout=subprocess.PIPE, text=True) for i in range(8)]
    fping = subprocess.Popen(["fping", "-q", "-C", "200", "-p", "10"]
                             + [tun_target(i) for i in range(n)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sent = received = 0
    for p in procs:
        out = p.communicate()[0]
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        sent += int(m.group(1))
        received += int(m.group(2))
    elapsed = time.monotonic() - t
    ferr = fping.communicate()[1]
    f_sent = f_recv = 0
    for line in ferr.splitlines():
        vals = line.split(":", 1)[1].split() if ":" in line else []
        f_sent += len(vals)
        f_recv += sum(v != "-" for v in vals)
    resp.stop()
    os.unlink(conf)
    delete_tuns(n)
    results["clients"] = (received / elapsed, sent - received, f_sent, f_recv)


def kernel_peer():
    """A second namespace answering for the kernel_target()s over veth."""
    peer = subprocess.Popen(["unshare", "-n", "sleep", "3600"])
    time.sleep(0.2)
    ip_batch(["link add kb0 type veth peer name kb1",
              f"link set kb1 netns {peer.pid}",
              "addr add 198.18.254.1/30 dev kb0",
              "link set kb0 up txqueuelen 1000",
              "route add 198.18.128.0/17 via 198.18.254.2"])
    ip_batch(["link set lo up", "addr add 198.18.254.2/30 dev kb1",
              "link set kb1 up txqueuelen 1000"]
             + [f"addr add {kernel_target(i)}/32 dev kb1" for i in range(256)], peer.pid)
    return peer


def fmt(v, spec):
    return format(v, spec) if v is not None else "n/a"


def ratio(a, b):
    return a / b if a is not None and b else None


def report(args, r):
    print("\n== throughput: tunecho-load, closed loop, 64 requests in flight in all"
          f" ({args.duration} s, median of {args.rounds} alternating runs)")
    print(f"{'ifaces':>6} {'responder':<10} {'replies/s':>10} {'cpu us/rep':>10} "
          f"{'p50 us':>8} {'p99 us':>8} {'lost':>6} {'corrupt':>7}")
    for n in (1, 16, 256):
        for kind in ("tunecho", "floor", "kernel"):
            m = r[(n, kind)]
            print(f"{n:>6} {kind:<10} {m['rate']:>10.0f} {fmt(m['cpu_us'], '>10.2f')} "
                  f"{m['p50']:>8.1f} {m['p99']:>8.1f} {m['lost']:>6} {m['corrupted']:>7}")
    print(f"\n{'ifaces':>6} {'rate tunecho/floor':>19} {'cpu tunecho/floor':>18} "
          f"{'rate tunecho/kernel':>20}   targets: >= 0.97, <= 1.05")
    for n in (1, 16, 256):
        t, f, k = r[(n, "tunecho")], r[(n, "floor")], r[(n, "kernel")]
        print(f"{n:>6} {fmt(ratio(t['rate'], f['rate']), '>19.3f')} "
              f"{fmt(ratio(t['cpu_us'], f['cpu_us']), '>18.3f')} "
              f"{fmt(ratio(t['rate'], k['rate']), '>20.3f')}")
    print(f"rate at 256 interfaces / rate at 1: "
          f"{fmt(ratio(r[(256, 'tunecho')]['rate'], r[(1, 'tunecho')]['rate']), '.3f')}"
          "   target: >= 0.90")

    print(f"\n== closed-loop latency: one ping -f, {args.count} requests")
    print(f"{'responder':<20} {'replies/s':>10} {'avg RTT us':>11} {'idle cpu ticks/s':>17}")
    for kind in ("tunecho", "tunecho busy-poll", "floor", "kernel"):
        rate, rtt, idle = r[("ping -f", kind)]
        print(f"{kind:<20} {rate:>10.0f} {rtt:>11.1f} {fmt(idle, '>17')}")
    bp, plain, kern = (r[("ping -f", k)] for k in ("tunecho busy-poll", "tunecho", "kernel"))
    print(f"busy-poll-us = {args.busy_poll}: rate x{bp[0] / plain[0]:.2f} (target >= 3), "
          f"RTT / kernel's {bp[1] / kern[1]:.2f} (target <= 2.5)")

    rate, lost, f_sent, f_recv = r["clients"]
    print("\n== real clients, 16 interfaces: 8 x ping -f -l 16 and fping")
    print(f"ping -f -l 16: {rate:.0f} replies/s, {lost} lost; "
          f"fping: {f_recv}/{f_sent} replies")

    per = (r["rss_256"] - r["rss_1"]) / 255
    print(f"\n== memory: tunecho RSS {r['rss_1']} KiB with 1 interface, {r['rss_256']} KiB "
          f"with 256: {per:.2f} KiB per interface (target < 4)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tunecho", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    args = ap.parse_args()
    args.duration = 1 if args.quick else 2
    args.rounds = 1 if args.quick else 3
    args.count = 5000 if args.quick else 20000
    args.busy_poll = 50

    if os.environ.get("TUNECHO_BENCH_NETNS") != "1":
        os.environ["TUNECHO_BENCH_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)
    sh("ip link set lo up")
    peer = kernel_peer()
    results = {}
    try:
        throughput(args, peer.pid, results)
        latency(args, results)
        clients(args, results)
    finally:
        peer.kill()
    report(args, results)


if __name__ == "__main__":
    main()
