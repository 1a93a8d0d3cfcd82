#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Judge a scrape of tunecho's /metrics with prometheus_client's own parser.

  check-metrics.py METRICS.txt STATS.json USR1.json IFACE=REPLIES...

Names, types and label sets as documented (README, "Operating it"); every
interface and every drop reason present; each value equal to /stats.json
(same moment) and the SIGUSR1 line (taken after it, nothing pinged in
between); the replies of each IFACE exactly as given. Exit 1 with a line
per problem.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

COUNTERS = {  # metric family (without _total) -> the JSON member
    "tunecho_received_packets": "rx_packets",
    "tunecho_received_bytes": "rx_bytes",
    "tunecho_replies": "replies",
    "tunecho_sent_bytes": "tx_bytes",
    "tunecho_write_errors": "write_errors",
}
PROCESS = {
    "process_cpu_seconds": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
    "process_start_time_seconds": "gauge",
}

problems = []


def want(cond, what):
    if not cond:
        problems.append(what)


def main():
    text = open(sys.argv[1]).read()
    stats = json.load(open(sys.argv[2]))
    usr1 = json.load(open(sys.argv[3]))
    expect = dict(a.split("=") for a in sys.argv[4:])
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    ifaces = {i["name"]: i for i in stats["interfaces"]}
    reasons = list(stats["total"]["drops"])

    want(set(ifaces) == set(expect), f"interfaces {sorted(ifaces)}, expected {sorted(expect)}")
    bi = fams.get("tunecho_build_info")
    want(bi and bi.type == "gauge" and len(bi.samples) == 1 and bi.samples[0].value == 1
         and bi.samples[0].labels.get("version"), "tunecho_build_info")

    serving = fams.get("tunecho_interface_serving")
    want(serving and serving.type == "gauge", "tunecho_interface_serving: a gauge")
    if serving:
        got = {s.labels["interface"]: s.value for s in serving.samples}
        want(got == {n: float(i["serving"]) for n, i in ifaces.items()},
             f"tunecho_interface_serving {got}")

    for fam, member in COUNTERS.items():
        f = fams.get(fam)
        want(f and f.type == "counter", f"{fam}: a counter")
        if not f:
            continue
        samples = [s for s in f.samples if s.name == fam + "_total"]
        got = {s.labels["interface"]: s.value for s in samples}
        want(all(set(s.labels) == {"interface"} for s in samples), f"{fam}: labels")
        want(got == {n: float(i[member]) for n, i in ifaces.items()},
             f"{fam}: {got}, /stats.json says otherwise")
        u = {i["name"]: float(i[member]) for i in usr1["interfaces"]}
        want(got == u, f"{fam}: {got}, the SIGUSR1 line says {u}")

    drops = fams.get("tunecho_dropped_packets")
    want(drops and drops.type == "counter", "tunecho_dropped_packets: a counter")
    if drops:
        got = {(s.labels["interface"], s.labels["reason"]): s.value for s in drops.samples
               if s.name == "tunecho_dropped_packets_total"}
        want(set(got) == {(n, r) for n in ifaces for r in reasons},
             "tunecho_dropped_packets_total: not every interface and reason")
        for (n, r), v in got.items():
            want(v == ifaces[n]["drops"][r], f"dropped {n} {r}: {v}")

    for name, kind in PROCESS.items():
        f = fams.get(name)
        want(f and f.type == kind and len(f.samples) == 1 and f.samples[0].value >= 0,
             f"{name}: one {kind}")
    want(fams.get("process_open_fds") and fams["process_open_fds"].samples[0].value >= 3,
         "process_open_fds below 3")

    for n, replies in expect.items():
        want(ifaces.get(n, {}).get("replies") == int(replies),
             f"{n}: {ifaces.get(n, {}).get('replies')} replies, expected {replies}")

    for p in problems:
        print("check-metrics.py:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
