#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Soak: 16 interfaces under parallel floods for a while; nothing may drift.

tunecho serves 16 interfaces (IPv4 and IPv6) in a network namespace this
script creates; tunecho-load keeps 16 requests in flight on each of the 32
targets and 4 real `ping -f` run beside it, for --duration seconds. Every
second the responder's RSS and open descriptors are sampled. Meant for the
ASan+UBSan build (meson test -C build-asan --benchmark soak): the sanitizer
reports go to a log that must stay empty.

Fails (exit 1) on: a lost or corrupted reply, RSS or descriptors growing
after warm-up, a sanitizer report, an unclean exit.
"""

import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from bench import rss_kib  # the same directory


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tunecho", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--duration", type=int, default=60)
    args = ap.parse_args()

    if os.environ.get("TUNECHO_BENCH_NETNS") != "1":
        os.environ["TUNECHO_BENCH_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write("[global]\nlog-level = notice\n")
    for i in range(16):
        conf.write(f"[sk{i}]\naddress = 198.19.{i}.1 peer 198.19.{i}.2\n"
                   f"address = 2001:db8:5:{i}::1/64\ntxqueuelen = 1000\n")
    conf.close()
    targets = [f"198.19.{i}.2" for i in range(16)] + [f"2001:db8:5:{i}::2" for i in range(16)]

    logdir = tempfile.mkdtemp(prefix="tunecho-soak-")
    env = dict(os.environ,
               ASAN_OPTIONS=f"log_path={logdir}/asan:detect_leaks=1",
               UBSAN_OPTIONS=f"log_path={logdir}/ubsan:print_stacktrace=1")
    resp = subprocess.Popen([args.tunecho, "-c", conf.name], env=env, text=True,
                            stderr=subprocess.PIPE)
    for line in resp.stderr:
        if "ready" in line:
            break
    load = subprocess.Popen([args.load, "--json", "-w", "16", "-d", str(args.duration)]
                            + targets, stdout=subprocess.PIPE, text=True)
    pings = [subprocess.Popen(["ping", "-n", "-q", "-f", "-w", str(args.duration), t],
                              stdout=subprocess.PIPE, text=True) for t in targets[:4]]
    samples = []
    while load.poll() is None:
        samples.append((rss_kib(resp.pid), fds(resp.pid)))
        time.sleep(1)
    total = json.loads(load.communicate()[0])["total"]
    ping_out = [p.communicate()[0] for p in pings]
    resp.send_signal(signal.SIGTERM)
    rest = resp.communicate(timeout=60)[1]
    os.unlink(conf.name)
    reports = [p for p in glob.glob(f"{logdir}/*") if os.path.getsize(p) > 0]

    # Warm-up: the first 5 samples (buffers, the allocator settling).
    warm = samples[5:] or samples
    rss_growth = max(r for r, _ in warm) - warm[0][0]
    fd_growth = max(f for _, f in warm) - warm[0][1]
    ping_lost = 0
    for out in ping_out:
        words = out.split()
        if "transmitted," in words:
            i = words.index("transmitted,")
            ping_lost += int(words[i - 2]) - int(words[i + 1])

    print(f"== soak: 16 interfaces, 32 targets x 16 in flight + 4 x ping -f, "
          f"{args.duration} s")
    print(f"tunecho-load: {total['received']} replies ({total['rate']:.0f}/s), "
          f"lost {total['lost']}, late {total['late']}, corrupted {total['corrupted']}, "
          f"duplicate {total['duplicate']}")
    print(f"ping -f: {ping_lost} lost (in flight when the deadline struck count here)")
    print(f"RSS {warm[0][0]} KiB after warm-up, growth {rss_growth} KiB; "
          f"fds {warm[0][1]}, growth {fd_growth}")
    print(f"responder exit status {resp.returncode}; sanitizer reports: {len(reports)}")
    for p in reports:
        print(open(p).read())
    if rest.strip():
        print(rest.strip())
    ok = (total["lost"] == 0 and total["corrupted"] == 0 and fd_growth == 0
          and rss_growth < 1024 and not reports and resp.returncode == 0)
    print("soak:", "OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
