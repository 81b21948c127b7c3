#!/usr/bin/env python3
"""Compares vdc's fct.txt and pfc.txt with HPCC ns-3's for the same experiment (docs/validation.md).

usage: scripts/hpcc-compare.py REFERENCE_FCT VDC_FCT [REFERENCE_PFC VDC_PFC]

Flows are matched by (source, destination, source port, destination port), which both number the same way.
Prints: flows matched, last/first/mean FCT of each, the median and 90th percentile of the per-flow relative FCT
error, the p99 FCT slowdown (fct / standalone fct) per flow-size bucket of each, and the pause counts."""
import sys


def read_fct(path):
    flows = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) != 8:
                continue
            key = (w[0], w[1], int(w[2]), int(w[3]))
            flows[key] = (int(w[4]), int(w[5]), int(w[6]), int(w[7]))
    return flows


def pauses(path):
    with open(path) as f:
        return sum(1 for line in f if line.split()[-1:] == ['1'])


def percentile(values, p):
    if not values:
        return float('nan')
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


BUCKETS = [(0, 10e3), (10e3, 100e3), (100e3, 1e6), (1e6, 1e12)]


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    ref, vdc = read_fct(sys.argv[1]), read_fct(sys.argv[2])
    keys = [k for k in ref if k in vdc]
    print('flows: %d in the reference, %d in vdc, %d matched' % (len(ref), len(vdc), len(keys)))
    for name, flows in (('reference', ref), ('vdc', vdc)):
        fcts = [v[2] / 1000.0 for v in flows.values()]
        ends = [(v[1] + v[2]) / 1000.0 for v in flows.values()]
        start = min(v[1] for v in flows.values()) / 1000.0
        print('%-9s last completion %.0f us after the first start, first %.0f, mean FCT %.1f us'
              % (name, max(ends) - start, min(ends) - start, sum(fcts) / len(fcts)))
    errors = [abs(vdc[k][2] - ref[k][2]) / ref[k][2] for k in keys]
    print('per-flow FCT error: median %.2f%%, p90 %.2f%%' % (100 * percentile(errors, 50), 100 * percentile(errors, 90)))
    # Flows that are alike (an incast's senders) finish in an order set by random ECN marks, which neither
    # simulator can share with the other: compare them by rank too, each set of same-size flows sorted by FCT.
    ranked = []
    for size in set(ref[k][0] for k in keys):
        r = sorted(ref[k][2] for k in keys if ref[k][0] == size)
        v = sorted(vdc[k][2] for k in keys if ref[k][0] == size)
        ranked += [abs(b - a) / a for a, b in zip(r, v)]
    print('rank-matched FCT error among flows of one size: median %.2f%%, p90 %.2f%%'
          % (100 * percentile(ranked, 50), 100 * percentile(ranked, 90)))
    for lo, hi in BUCKETS:
        sel = [k for k in keys if lo <= ref[k][0] < hi]
        if not sel:
            continue
        r = percentile([ref[k][2] / ref[k][3] for k in sel], 99)
        v = percentile([vdc[k][2] / vdc[k][3] for k in sel], 99)
        print('size %8.0f..%-8.0g %5d flows: p99 slowdown reference %.2f, vdc %.2f (%+.1f%%)'
              % (lo, hi, len(sel), r, v, 100 * (v - r) / r))
    if len(sys.argv) == 5:
        rp, vp = pauses(sys.argv[3]), pauses(sys.argv[4])
        print('pauses: reference %d, vdc %d' % (rp, vp))


if __name__ == '__main__':
    main()
