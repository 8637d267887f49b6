#!/usr/bin/env python3
"""Median-time ratios between benchmark families of one Google Benchmark JSON run.

usage: bench/ratios.py RESULT.json NUMERATOR_PREFIX DENOMINATOR_PREFIX [more pairs...]
e.g.   bench/ratios.py clarke.json BM_Clarke BM_Convention BM_ClarkeKinks BM_ConventionKinks
"""
import json
import sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
median = {r["run_name"]: r["real_time"] for r in runs if r.get("aggregate_name") == "median"}
pairs = sys.argv[2:]
for num, den in zip(pairs[::2], pairs[1::2]):
    for name, t in sorted(median.items()):
        family, _, arg = name.partition("/")
        if family == num and f"{den}/{arg}" in median:
            print(f"{num}/{den} at {arg}: {t / median[f'{den}/{arg}']:.3f}")
