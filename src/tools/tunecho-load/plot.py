#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Charts of a tunecho-load run, as PNG files, with matplotlib.

  plot.py [--series FILE.csv] [--json FILE.json] [--out PREFIX]

--series: the CSV of `tunecho-load --series FILE` gives PREFIX-rtt.png, p50
and p99 RTT over time with the replies per second under them.
--json: the output of `tunecho-load --json --histogram` gives PREFIX-cdf.png,
the RTT CDF of the total and of every target (at most 8 of them, so that
the legend stays readable).
PREFIX defaults to "tunecho-load". Prints the files it wrote.
"""
import argparse
import csv
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402


def rtt_over_time(path, out):
    t, p50, p99, rate, lost = [], [], [], [], []
    prev = 0.0
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            now = float(row["time_s"])
            span = now - prev
            prev = now
            if span <= 0:
                continue
            t.append(now)
            p50.append(float(row["p50_us"]) if row["p50_us"] else float("nan"))
            p99.append(float(row["p99_us"]) if row["p99_us"] else float("nan"))
            # a last, partial second too short to make a rate of
            rate.append(int(row["received"]) / span if span >= 0.5 else float("nan"))
            lost.append(int(row["lost"]))
    if not t:
        sys.exit(f"plot.py: {path}: no rows")
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6),
                                      gridspec_kw={"height_ratios": [2, 1]})
    top.plot(t, p50, marker=".", label="p50")
    top.plot(t, p99, marker=".", label="p99")
    top.set_ylabel("RTT (µs)")
    top.set_ylim(bottom=0)
    top.grid(True, alpha=0.3)
    top.legend()
    top.set_title("tunecho-load: RTT over time")
    bottom.plot(t, rate, color="tab:green", label="replies/s")
    if any(lost):
        bottom.bar(t, lost, color="tab:red", alpha=0.5, label="lost")
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("per second")
    bottom.set_ylim(bottom=0)
    bottom.grid(True, alpha=0.3)
    bottom.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def cdf_points(hist):
    total = sum(c for _, _, c in hist)
    xs, ys, seen = [], [], 0
    for _, high, count in hist:
        seen += count
        xs.append(high)
        ys.append(seen / total)
    return xs, ys


def rtt_cdf(path, out):
    with open(path) as f:
        run = json.load(f)
    rows = [("total", run["total"])] + [(t["target"], t) for t in run["targets"][:8]]
    if "histogram" not in run["total"]:
        sys.exit(f"plot.py: {path}: no \"histogram\" (run tunecho-load with --histogram)")
    fig, ax = plt.subplots(figsize=(9, 5))
    drawn = 0
    for name, row in rows:
        if not row.get("histogram"):
            continue
        xs, ys = cdf_points(row["histogram"])
        ax.step(xs, ys, where="post", label=name,
                linewidth=2.5 if name == "total" else 1)
        drawn += 1
    if not drawn:
        sys.exit(f"plot.py: {path}: no replies to draw")
    ax.set_xscale("log")
    ax.set_xlabel("RTT (µs, log scale)")
    ax.set_ylabel("fraction of replies")
    ax.set_ylim(0, 1.01)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("tunecho-load: RTT CDF")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", help="CSV of tunecho-load --series")
    ap.add_argument("--json", help="output of tunecho-load --json --histogram")
    ap.add_argument("--out", default="tunecho-load", help="prefix of the PNG files")
    a = ap.parse_args()
    if not a.series and not a.json:
        ap.error("give --series, --json or both")
    if a.series:
        rtt_over_time(a.series, a.out + "-rtt.png")
        print(a.out + "-rtt.png")
    if a.json:
        rtt_cdf(a.json, a.out + "-cdf.png")
        print(a.out + "-cdf.png")


if __name__ == "__main__":
    main()
