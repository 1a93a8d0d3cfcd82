#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The tunecho benchmark: one table of ratios measured in the same run.

Everything happens in a network namespace this script creates (it re-runs
itself under `unshare -n`), with addresses from 198.18.0.0/15 only:

  throughput  tunecho against the floor (tests/bench/floor-echo.c: epoll +
              read/write, the same packet code) and against the kernel
              answering over a veth pair into a second namespace, all under
              the same tunecho-load run, with 1, 16 and 256 interfaces;
              losses split into the TUN queues' drops (ring) and requests
              tunecho read but did not answer (its own counters)
  side by side  tunecho and the floor at the same time on one CPU, each on
              devices of its own, under one tunecho-load run over both: the
              precise comparison, on which the targets against the floor
              are judged
  latency     one `ping -f` (one request in flight) for a fixed count:
              tunecho, tunecho with busy-poll-us, the floor, the kernel;
              placed by the scheduler, and with the responder on a CPU of
              its own
  clients     8 parallel `ping -f -l 16` and one fping across all interfaces
  over the MTU  tunecho-load -s 3000 and -s 65487 (fragments both ways) on one
              interface, against the kernel over veth
  TAP         echo over a TAP against the same over a TUN, side by side (two
              tunecho processes on one CPU, one tunecho-load run over both);
              and over a TAP in a bridge against the kernel of a namespace on
              the same bridge, in turns
  memory      tunecho's RSS with 1 and 256 interfaces

Each part runs in rounds (11, latency 5; 1 with --quick); within a round
tunecho and its references run back to back, in turns, so the drift of a
shared machine hits them alike. Ratios are medians of the ratios within a
round, with their range. With two CPUs or more the load generator runs on
CPU 0 and the responders on CPU 1 (--no-pin: wherever the scheduler puts
them).

Usage: bench.py --tunecho BIN --load BIN --floor BIN [--quick] [--no-pin]
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

SIZES = (1, 16, 256)
KINDS = ("tunecho", "floor", "kernel")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, text=True, capture_output=True, **kw)


def ip_batch(lines, netns_pid=None):
    """Run `ip -batch` (tests may use ip; the product never does)."""
    prefix = f"nsenter -t {netns_pid} -n " if netns_pid else ""
    with tempfile.NamedTemporaryFile("w", suffix=".ip") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        sh(f"{prefix}ip -batch {f.name}")


def cpu_seconds(pid):
    """CPU time of all of @pid's threads, to the nanosecond (schedstat)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total / 1e9


def ring_drops(prefix="bt"):
    """Packets the kernel dropped because a TUN queue was full (its tx drops)."""
    total = 0
    with open("/proc/net/dev") as f:  # this namespace's devices
        for line in f.readlines()[2:]:
            name, fields = line.split(":", 1)
            if name.strip().startswith(prefix):
                total += int(fields.split()[11])
    return total


def on_cpu(cpu):
    """A preexec_fn that pins the child to @cpu (None: wherever it is put)."""
    return None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Responder:
    """A responder process, started and waited for until it says ready."""

    def __init__(self, argv, cpu=None):
        self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, preexec_fn=on_cpu(cpu))
        for line in self.proc.stderr:
            if "ready" in line:
                break
        else:
            raise RuntimeError(f"{argv[0]} did not start")

    def counters(self):
        """tunecho's own totals, from the JSON line SIGUSR1 makes it log."""
        self.proc.send_signal(signal.SIGUSR1)
        for line in self.proc.stderr:
            if line.startswith("tunecho: {"):
                return json.loads(line.split(": ", 1)[1])["total"]
        raise RuntimeError("tunecho did not log its counters")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.communicate(timeout=30)


def tun_names(n, side="t"):
    """The TUN devices: bt<i> for the runs one after the other, bf<i> for
    the floor's side of the side-by-side runs."""
    return [f"b{side}{i}" for i in range(n)]


def tun_addrs(i, side="t"):
    """(local, peer) of device b<side><i>; the peer is what gets pinged."""
    if side == "t":
        return f"198.19.{i}.1", f"198.19.{i}.2"
    net, host = i // 64, i % 64 * 4  # 198.18.0.0/22, clear of kernel_target()
    return f"198.18.{net}.{host + 1}", f"198.18.{net}.{host + 2}"


def tun_target(i, side="t"):
    return tun_addrs(i, side)[1]


def kernel_target(i):
    return f"198.18.{128 + i // 250}.{1 + i % 250}"


def make_tuns(n, side="t"):
    lines = []
    for i, name in enumerate(tun_names(n, side)):
        local, peer = tun_addrs(i, side)
        lines += [f"tuntap add mode tun name {name}",
                  f"link set {name} up txqueuelen 1000",
                  f"addr add {local} peer {peer} dev {name}"]
    ip_batch(lines)


def delete_tuns(n, side="t"):
    ip_batch([f"link del {name}" for name in tun_names(n, side)])


def load_run(load_bin, targets, duration, window, cpu=None, size=56):
    """One tunecho-load run: its JSON, per target and in total."""
    out = subprocess.run([load_bin, "--json", "-d", str(duration), "-w", str(window),
                          "-s", str(size)] + targets,
                         capture_output=True, text=True, preexec_fn=on_cpu(cpu))
    if out.returncode not in (0, 1):
        raise RuntimeError(f"tunecho-load failed: {out.stderr}")
    return json.loads(out.stdout)


def measure(resp, load_bin, targets, duration, window, cpu=None, size=56):
    """Load @targets; replies/s, responder CPU µs per reply, RTT, loss."""
    pid = resp.proc.pid if resp else None
    t0 = cpu_seconds(pid) if pid else 0
    ring0 = ring_drops()
    total = load_run(load_bin, targets, duration, window, cpu, size)["total"]
    used = cpu_seconds(pid) - t0 if pid else None
    replies = total["received"]
    return {
        "rate": total["rate"],
        "cpu_us": used * 1e6 / replies if used is not None and replies else None,
        "p50": total["rtt_us"]["p50"],
        "p99": total["rtt_us"]["p99"],
        "lost": total["lost"],
        "corrupted": total["corrupted"],
        "ring": ring_drops() - ring0,
    }


def tunecho_conf(n, busy_poll=0):
    f = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    f.write(f"[global]\nlog-level = notice\nbusy-poll-us = {busy_poll}\n")
    for name in tun_names(n):
        f.write(f"[{name}]\nattach = yes\n")
    f.close()
    return f.name


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    return a / b if a is not None and b else None


def paired(xs, ys, key):
    """Median, min and max of x/y over runs measured side by side."""
    rs = [ratio(x[key], y[key]) for x, y in zip(xs, ys)]
    rs = [r for r in rs if r is not None]
    return (statistics.median(rs), min(rs), max(rs)) if rs else None


def in_turn(rnd):
    """tunecho and the floor, tunecho first in even rounds, the floor in odd."""
    return ("tunecho", "floor")[::1 if rnd % 2 == 0 else -1]


def throughput(args, results):
    """Every round measures every size and kind once, back to back (tunecho
    first in one round, the floor first in the next), so the drift of a
    shared machine hits tunecho and its references alike; the ratios are
    medians of ratios taken within a round."""
    make_tuns(SIZES[-1])
    confs = {n: tunecho_conf(n) for n in SIZES}
    runs = {(n, kind): [] for n in SIZES for kind in KINDS}
    for rnd in range(args.rounds):
        for n in SIZES:
            targets = [tun_target(i) for i in range(n)]
            window = max(1, 64 // n)
            for kind in in_turn(rnd):
                argv = ([args.tunecho, "-c", confs[n]] if kind == "tunecho"
                        else [args.floor] + tun_names(n))
                resp = Responder(argv, args.cpus[1])
                if kind == "tunecho" and n in (1, SIZES[-1]):
                    results[f"rss_{n}"] = rss_kib(resp.proc.pid)
                m = measure(resp, args.load, targets, args.duration, window, args.cpus[0])
                if kind == "tunecho":
                    c = resp.counters()
                    m["unanswered"] = c["rx_packets"] - c["replies"]
                resp.stop()
                runs[(n, kind)].append(m)
            runs[(n, "kernel")].append(
                measure(None, args.load, [kernel_target(i) for i in range(n)],
                        args.duration, window, args.cpus[0]))
    for c in confs.values():
        os.unlink(c)
    delete_tuns(SIZES[-1])
    for (n, kind), rs in runs.items():
        results[(n, kind)] = {k: median_of(rs, k) for k in rs[0]}
        for k in ("lost", "corrupted", "ring", "unanswered"):
            results[(n, kind)][k] = sum(r[k] for r in rs) if k in rs[0] else None
    for n in SIZES:
        t = runs[(n, "tunecho")]
        results[("ratio", n)] = {
            "rate_floor": paired(t, runs[(n, "floor")], "rate"),
            "cpu_floor": paired(t, runs[(n, "floor")], "cpu_us"),
            "rate_kernel": paired(t, runs[(n, "kernel")], "rate"),
        }
    for kind in ("tunecho", "floor"):
        results[("scaling", kind)] = paired(runs[(SIZES[-1], kind)], runs[(1, kind)], "rate")
    # The kernel's cost per device is the same for every responder: tunecho's
    # 256/1 is judged against the floor's, round by round.
    per_round = []
    for rnd in range(args.rounds):
        t = ratio(runs[(SIZES[-1], "tunecho")][rnd]["rate"], runs[(1, "tunecho")][rnd]["rate"])
        f = ratio(runs[(SIZES[-1], "floor")][rnd]["rate"], runs[(1, "floor")][rnd]["rate"])
        if t is not None and f:
            per_round.append(t / f)
    results["scaling_vs_floor"] = ((statistics.median(per_round), min(per_round),
                                    max(per_round)) if per_round else None)


BIG = (3000, 65487)  # tunecho-load's largest: 65507 bytes of ICMP data less its own 20


def big(args, results):
    """Requests over the MTU (fragments both ways, reassembly and
    fragmentation in tunecho as in the kernel): tunecho on one interface
    against the kernel over veth, in turns, under the same load."""
    make_tuns(1)
    conf = tunecho_conf(1)
    runs = {(size, kind): [] for size in BIG for kind in ("tunecho", "kernel")}
    for rnd in range(args.rounds):
        for size in BIG:
            order = ("tunecho", "kernel")[::1 if rnd % 2 == 0 else -1]
            for kind in order:
                if kind == "tunecho":
                    resp = Responder([args.tunecho, "-c", conf], args.cpus[1])
                    m = measure(resp, args.load, [tun_target(0)], args.duration, 16,
                                args.cpus[0], size)
                    resp.stop()
                else:
                    m = measure(None, args.load, [kernel_target(0)], args.duration, 16,
                                args.cpus[0], size)
                runs[(size, kind)].append(m)
    os.unlink(conf)
    delete_tuns(1)
    for size in BIG:
        t, k = runs[(size, "tunecho")], runs[(size, "kernel")]
        results[("big", size)] = {
            "tunecho": median_of(t, "rate"), "kernel": median_of(k, "rate"),
            "ratio": paired(t, k, "rate"),
            "lost": sum(r["lost"] for r in t + k), "corrupted": sum(r["corrupted"] for r in t + k)}


def side_by_side(args, results):
    """tunecho and the floor at the same time on the same CPU, each on devices
    of its own, under one tunecho-load run over both (whose targets come
    first alternates). Whatever the machine does to one moment, it does to
    both: the ratios compare replies per CPU second, moment by moment,
    which runs one after the other cannot do to within a few per cent on a
    machine whose rate moves by 10 to 25 % from one second to the next."""
    make_tuns(SIZES[-1])
    make_tuns(SIZES[-1], "f")
    for n in SIZES:
        conf = tunecho_conf(n)
        procs = {"tunecho": Responder([args.tunecho, "-c", conf], args.cpus[1]),
                 "floor": Responder([args.floor] + tun_names(n, "f"), args.cpus[1])}
        targets = {"tunecho": [tun_target(i) for i in range(n)],
                   "floor": [tun_target(i, "f") for i in range(n)]}
        runs = {kind: [] for kind in procs}
        for rnd in range(args.rounds):
            first, second = in_turn(rnd)
            cpu0 = {kind: cpu_seconds(p.proc.pid) for kind, p in procs.items()}
            out = load_run(args.load, targets[first] + targets[second], args.duration,
                           max(1, 64 // n), args.cpus[0])
            for kind, p in procs.items():
                mine = [t for t in out["targets"] if t["target"] in targets[kind]]
                replies = sum(t["received"] for t in mine)
                used = cpu_seconds(p.proc.pid) - cpu0[kind]
                runs[kind].append({
                    "rate": sum(t["rate"] for t in mine),
                    "cpu_us": used * 1e6 / replies if replies else None,
                    "share": used / args.duration,
                    "lost": sum(t["lost"] for t in mine),
                    "corrupted": sum(t["corrupted"] for t in mine)})
        for p in procs.values():
            p.stop()
        os.unlink(conf)
        t, f = runs["tunecho"], runs["floor"]
        results[("side", n)] = {
            "rate": paired(t, f, "rate"), "cpu": paired(t, f, "cpu_us"),
            "share": (median_of(t, "share"), median_of(f, "share")),
            "lost": sum(r["lost"] for r in t + f),
            "corrupted": sum(r["corrupted"] for r in t + f)}
    delete_tuns(SIZES[-1])
    delete_tuns(SIZES[-1], "f")


def write_conf(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    f.write(text)
    f.close()
    return f.name


def tap(args, results):
    """TAP mode: link in and out (Ethernet, ARP) on the packet path. A TAP
    against a TUN at the same time, each served by a tunecho of its own on
    the same CPU under one load run (as side_by_side()); then a TAP joined
    to a bridge against the kernel of a namespace on that bridge, both
    reached from here through the bridge, in turns (as big())."""
    confs = {
        "tun": write_conf("[global]\nlog-level = notice\n"
                          "[bq0]\naddress = 198.18.32.1 peer 198.18.32.2\n"),
        "tap": write_conf("[global]\nlog-level = notice\n"
                          "[bp0]\nmode = tap\naddress = 198.18.33.1/24\n"),
    }
    targets = {"tun": "198.18.32.2", "tap": "198.18.33.2"}
    procs = {kind: Responder([args.tunecho, "-c", c], args.cpus[1]) for kind, c in confs.items()}
    runs = {kind: [] for kind in procs}
    for rnd in range(args.rounds):
        order = ("tun", "tap")[::1 if rnd % 2 == 0 else -1]
        cpu0 = {kind: cpu_seconds(p.proc.pid) for kind, p in procs.items()}
        out = load_run(args.load, [targets[k] for k in order], args.duration, 32, args.cpus[0])
        for kind, p in procs.items():
            mine = [t for t in out["targets"] if t["target"] == targets[kind]]
            used = cpu_seconds(p.proc.pid) - cpu0[kind]
            replies = sum(t["received"] for t in mine)
            runs[kind].append({"rate": sum(t["rate"] for t in mine),
                               "cpu_us": used * 1e6 / replies if replies else None,
                               "lost": sum(t["lost"] for t in mine),
                               "corrupted": sum(t["corrupted"] for t in mine)})
    for p in procs.values():
        p.stop()
    results["tap_side"] = {"rate": paired(runs["tap"], runs["tun"], "rate"),
                           "cpu": paired(runs["tap"], runs["tun"], "cpu_us"),
                           "tap": median_of(runs["tap"], "rate"),
                           "tun": median_of(runs["tun"], "rate"),
                           "lost": sum(r["lost"] for r in runs["tap"] + runs["tun"]),
                           "corrupted": sum(r["corrupted"] for r in runs["tap"] + runs["tun"])}

    # A bridge here (198.18.34.1/24), the TAP a port of it, and a veth port
    # into a namespace whose kernel answers for 198.18.34.200.
    peer = subprocess.Popen(["unshare", "-n", "sleep", "3600"])
    time.sleep(0.2)
    ip_batch(["link add bbr type bridge", "addr add 198.18.34.1/24 dev bbr", "link set bbr up",
              "link add kv0 type veth peer name kv1", "link set kv0 master bbr",
              "link set kv0 up txqueuelen 1000", f"link set kv1 netns {peer.pid}"])
    ip_batch(["link set lo up", "addr add 198.18.34.200/24 dev kv1",
              "link set kv1 up txqueuelen 1000"], peer.pid)
    confs["bridge"] = write_conf("[global]\nlog-level = notice\n[bp1]\nmode = tap\n"
                                 "master = bbr\nhosts = 198.18.34.0/25\n")
    runs = {"tap": [], "kernel": []}
    try:
        for rnd in range(args.rounds):
            for kind in ("tap", "kernel")[::1 if rnd % 2 == 0 else -1]:
                if kind == "tap":
                    resp = Responder([args.tunecho, "-c", confs["bridge"]], args.cpus[1])
                    m = measure(resp, args.load, ["198.18.34.10"], args.duration, 32,
                                args.cpus[0])
                    resp.stop()
                else:
                    m = measure(None, args.load, ["198.18.34.200"], args.duration, 32,
                                args.cpus[0])
                runs[kind].append(m)
    finally:
        peer.kill()
        ip_batch(["link del bbr"])
        for c in confs.values():
            os.unlink(c)
    results["tap_bridge"] = {"rate": paired(runs["tap"], runs["kernel"], "rate"),
                             "tap": median_of(runs["tap"], "rate"),
                             "kernel": median_of(runs["kernel"], "rate"),
                             "lost": sum(r["lost"] for r in runs["tap"] + runs["kernel"]),
                             "corrupted": sum(r["corrupted"]
                                              for r in runs["tap"] + runs["kernel"])}


def ping_flood(target, count, cpu=None):
    """A single `ping -f`: one request in flight. (replies/s, avg RTT µs)."""
    out = subprocess.run(["ping", "-n", "-q", "-f", "-c", str(count), target], check=True,
                         capture_output=True, text=True, preexec_fn=on_cpu(cpu)).stdout
    m = re.search(r"(\d+) received.*time (\d+)ms", out, re.S)
    rtt = re.search(r"= [\d.]+/([\d.]+)/", out)
    received, ms = int(m.group(1)), max(1, int(m.group(2)))
    return received * 1000 / ms, float(rtt.group(1)) * 1000


def latency(args, results):
    """ping -f against each responder, placed by the scheduler and then with
    the responder on a CPU of its own (busy polling spins a CPU: that is
    where it belongs); tunecho and tunecho with busy polling alternate."""
    make_tuns(1)
    confs = {"tunecho": tunecho_conf(1), "tunecho busy-poll": tunecho_conf(1, args.busy_poll)}
    runs = {}
    placements = [("scheduled", (None, None))]
    if args.cpus != (None, None):
        placements.append(("own CPU", args.cpus))
    for _ in range(args.latency_rounds):
        for place, cpus in placements:
            for kind in ("tunecho", "tunecho busy-poll", "floor"):
                argv = ([args.tunecho, "-c", confs[kind]] if kind in confs
                        else [args.floor, "bt0"])
                resp = Responder(argv, cpus[1])
                time.sleep(0.2)  # what start-up leaves to do after "ready" is not idling
                idle0 = cpu_seconds(resp.proc.pid)
                time.sleep(0.5)  # idle: busy polling must cost nothing without traffic
                idle = (cpu_seconds(resp.proc.pid) - idle0) * 2e6  # µs per second
                rate, rtt = ping_flood(tun_target(0), args.count, cpus[0])
                runs.setdefault((place, kind), []).append(
                    {"rate": rate, "rtt": rtt, "idle": idle})
                resp.stop()
    for c in confs.values():
        os.unlink(c)
    delete_tuns(1)
    for _ in range(args.latency_rounds):
        rate, rtt = ping_flood(kernel_target(0), args.count, args.cpus[0])
        runs.setdefault(("", "kernel"), []).append({"rate": rate, "rtt": rtt, "idle": None})
    for key, rs in runs.items():
        results[("ping -f",) + key] = {k: median_of(rs, k) for k in rs[0]}
    for place, _ in placements:
        bp, plain = runs[(place, "tunecho busy-poll")], runs[(place, "tunecho")]
        results[("busy-poll", place)] = (paired(bp, plain, "rate"),
                                         ratio(median_of(bp, "rtt"),
                                               median_of(runs[("", "kernel")], "rtt")))


def clients(args, results):
    n = 16
    make_tuns(n)
    conf = tunecho_conf(n)
    resp = Responder([args.tunecho, "-c", conf])
    ring0 = ring_drops()
    t = time.monotonic()
    procs = [subprocess.Popen(["ping", "-n", "-q", "-f", "-l", "16", "-c", str(args.count),
                               tun_target(i % n)], stdout=subprocess.PIPE, text=True)
             for i in range(8)]
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
    c = resp.counters()
    resp.stop()
    os.unlink(conf)
    results["clients"] = {
        "rate": received / elapsed, "lost": sent - received, "fping_sent": f_sent,
        "fping_received": f_recv, "ring": ring_drops() - ring0,
        "unanswered": c["rx_packets"] - c["replies"], "write_errors": c["write_errors"],
    }
    delete_tuns(n)


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


def fmt_paired(p, spec):
    """A paired ratio: median (min-max)."""
    if p is None:
        return "n/a"
    return f"{p[0]:{spec}} ({p[1]:.2f}-{p[2]:.2f})"


def report(args, r):
    print(f"\n== throughput: tunecho-load, closed loop, window 64 per interface up to 64"
          f" in all, then 1 each ({args.duration} s runs, {args.rounds} rounds, medians)")
    print(f"{'ifaces':>6} {'responder':<10} {'replies/s':>10} {'cpu us/rep':>10} "
          f"{'p50 us':>8} {'p99 us':>8} {'lost':>6} {'corrupt':>7} {'ring':>6} {'unanswered':>10}")
    for n in SIZES:
        for kind in KINDS:
            m = r[(n, kind)]
            print(f"{n:>6} {kind:<10} {m['rate']:>10.0f} {fmt(m['cpu_us'], '>10.2f')} "
                  f"{m['p50']:>8.1f} {m['p99']:>8.1f} {m['lost']:>6} {m['corrupted']:>7} "
                  f"{m['ring']:>6} {fmt(m['unanswered'], '>10')}")
    print("lost: as tunecho-load counts them; ring: dropped by the kernel, TUN queue full;"
          "\nunanswered: requests tunecho read and did not answer (its own counters)")
    print(f"\none after the other: ratios within a round, median (min-max) of {args.rounds}:")
    print(f"{'ifaces':>6} {'rate tunecho/floor':>20} {'cpu tunecho/floor':>20} "
          f"{'rate tunecho/kernel':>20}")
    for n in SIZES:
        q = r[("ratio", n)]
        print(f"{n:>6} {fmt_paired(q['rate_floor'], '>8.3f'):>20} "
              f"{fmt_paired(q['cpu_floor'], '>8.3f'):>20} "
              f"{fmt_paired(q['rate_kernel'], '>8.3f'):>20}")
    sv = r["scaling_vs_floor"]
    print(f"rate at {SIZES[-1]} interfaces / rate at 1: tunecho "
          f"{fmt_paired(r[('scaling', 'tunecho')], '.3f')}, the floor "
          f"{fmt_paired(r[('scaling', 'floor')], '.3f')};\ntunecho's over the floor's, "
          f"within a round: {fmt_paired(sv, '.3f')}   target: >= 0.97 "
          f"({'ok' if sv and sv[0] >= 0.97 else 'miss'})")

    print(f"\n== over the MTU (1500): tunecho-load -s SIZE, window 16, one interface, "
          f"against the kernel over veth\n   ({args.duration} s runs, median (min-max) of "
          f"{args.rounds} rounds)")
    print(f"{'size':>6} {'tunecho/s':>10} {'kernel/s':>10} {'tunecho/kernel':>20} "
          f"{'lost':>6} {'corrupt':>7} {'verdict':>8}")
    for size in BIG:
        q = r[("big", size)]
        ok = q["ratio"] and q["ratio"][0] >= 1.0
        print(f"{size:>6} {fmt(q['tunecho'], '>10.0f')} {fmt(q['kernel'], '>10.0f')} "
              f"{fmt_paired(q['ratio'], '>8.3f'):>20} {q['lost']:>6} {q['corrupted']:>7} "
              f"{'ok' if ok else 'miss':>8}")
    print(f"{'target':>6} {'':>10} {'':>10} {'>= 1.0':>20}")

    q, b = r["tap_side"], r["tap_bridge"]
    ok = q["rate"] and q["rate"][0] >= 0.9
    print(f"\n== TAP mode: window 32, {args.duration} s runs, median (min-max) of {args.rounds}")
    print(f"{'line':<34} {'replies/s':>10} {'reference/s':>11} {'ratio':>20} {'lost':>6} "
          f"{'corrupt':>7} {'verdict':>8}")
    print(f"{'TAP / TUN, side by side':<34} {fmt(q['tap'], '>10.0f')} {fmt(q['tun'], '>11.0f')} "
          f"{fmt_paired(q['rate'], '>8.3f'):>20} {q['lost']:>6} {q['corrupted']:>7} "
          f"{'ok' if ok else 'miss':>8}")
    print(f"{'  cpu per reply, TAP / TUN':<34} {'':>10} {'':>11} "
          f"{fmt_paired(q['cpu'], '>8.3f'):>20}")
    print(f"{'TAP in a bridge / kernel on it':<34} {fmt(b['tap'], '>10.0f')} "
          f"{fmt(b['kernel'], '>11.0f')} {fmt_paired(b['rate'], '>8.3f'):>20} {b['lost']:>6} "
          f"{b['corrupted']:>7} {'':>8}")
    print(f"{'target':<34} {'':>10} {'':>11} {'TAP/TUN >= 0.9':>20}")

    where = f"CPU {args.cpus[1]}" if args.cpus[1] is not None else "the same CPUs"
    print(f"\n== side by side: tunecho and the floor at the same time on {where}, each on "
          f"devices of its own,\n   one tunecho-load run over both ({args.duration} s runs, "
          f"median (min-max) of {args.rounds}); the floor targets are judged here")
    print(f"{'ifaces':>6} {'rate tunecho/floor':>20} {'cpu tunecho/floor':>20} "
          f"{'cpu share':>11} {'lost':>6} {'corrupt':>7} {'verdict':>8}")
    for n in SIZES:
        q = r[("side", n)]
        ok = q["rate"] and q["cpu"] and q["rate"][0] >= 0.97 and q["cpu"][0] <= 1.05
        print(f"{n:>6} {fmt_paired(q['rate'], '>8.3f'):>20} {fmt_paired(q['cpu'], '>8.3f'):>20} "
              f"{fmt(q['share'][0], '.2f'):>5}/{fmt(q['share'][1], '.2f'):<5} {q['lost']:>6} "
              f"{q['corrupted']:>7} {'ok' if ok else 'miss':>8}")
    print(f"{'target':>6} {'>= 0.97':>20} {'<= 1.05':>20}")

    print(f"\n== closed-loop latency: one ping -f, {args.count} requests "
          f"({args.latency_rounds} rounds, medians)")
    print(f"{'placement':<10} {'responder':<18} {'replies/s':>10} {'avg RTT us':>11} "
          f"{'idle cpu us/s':>14}")
    for key in sorted(k for k in r if k[0] == "ping -f"):
        m = r[key]
        print(f"{key[1] or '-':<10} {key[2]:<18} {m['rate']:>10.0f} {m['rtt']:>11.1f} "
              f"{fmt(m['idle'], '>14.0f')}")
    for key in (k for k in r if k[0] == "busy-poll"):
        gain, rtt = r[key]
        print(f"busy-poll-us = {args.busy_poll}, {key[1]}: rate x{fmt_paired(gain, '.2f')} "
              f"(target >= 3), RTT / kernel's {fmt(rtt, '.2f')} (target <= 2.5)")
    if args.cpus[0] is not None:
        print(f"scheduled: where the scheduler puts them; own CPU: the responder on CPU "
              f"{args.cpus[1]}, ping on CPU {args.cpus[0]}")

    c = r["clients"]
    print("\n== real clients, 16 interfaces: 8 x ping -f -l 16 and fping")
    print(f"ping -f -l 16: {c['rate']:.0f} replies/s, {c['lost']} lost; "
          f"fping: {c['fping_received']}/{c['fping_sent']} replies; "
          f"tunecho left {c['unanswered']} unanswered ({c['write_errors']} write errors), "
          f"the TUN queues dropped {c['ring']}")

    per = (r[f"rss_{SIZES[-1]}"] - r["rss_1"]) / (SIZES[-1] - 1)
    print(f"\n== memory: tunecho RSS {r['rss_1']} KiB with 1 interface, "
          f"{r[f'rss_{SIZES[-1]}']} KiB with {SIZES[-1]}: {per:.2f} KiB per interface "
          "(target < 4)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tunecho", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    ap.add_argument("--no-pin", action="store_true",
                    help="let the scheduler place the load and the responders")
    args = ap.parse_args()
    args.duration = 1
    args.rounds = 1 if args.quick else 11
    args.latency_rounds = 1 if args.quick else 5
    # Load generator on CPU 0, responder on CPU 1: placement then cannot
    # change between runs (with 2 CPUs it otherwise moves the numbers by 10 %).
    args.cpus = (None, None) if args.no_pin or os.cpu_count() < 2 else (0, 1)
    args.count = 5000 if args.quick else 10000
    args.busy_poll = 50

    if os.environ.get("TUNECHO_BENCH_NETNS") != "1":
        os.environ["TUNECHO_BENCH_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)
    sh("ip link set lo up")
    # IPv4 only: no router solicitations or MLD reports on the TUN devices,
    # so every packet tunecho reads is a request and no queue drops chatter.
    sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
    peer = kernel_peer()
    results = {}
    try:
        throughput(args, results)
        big(args, results)
        side_by_side(args, results)
        tap(args, results)
        latency(args, results)
        clients(args, results)
    finally:
        peer.kill()
    report(args, results)


if __name__ == "__main__":
    main()
