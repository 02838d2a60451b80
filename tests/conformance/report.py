#!/usr/bin/python3
"""Print the per-op conformance table of docs/onnx-support.md from node/ and expected_failures.txt.

    /usr/bin/python3 tests/conformance/report.py

A case counts for every op its model uses; "passing" = cases not listed in expected_failures.txt (the C# test
ConformanceTests checks that exactly those fail).
"""

import collections
import os

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    claimed = [l.strip() for l in open(os.path.join(HERE, "claimed_ops.txt")) if l.strip() and not l.startswith("#")]
    expected = {}
    for line in open(os.path.join(HERE, "expected_failures.txt")):
        if line.strip() and not line.startswith("#"):
            case, reason = line.rstrip("\n").split("\t", 1)
            expected[case] = reason
    total, passing = collections.Counter(), collections.Counter()
    for case in sorted(os.listdir(os.path.join(HERE, "node"))):
        model = onnx.load(os.path.join(HERE, "node", case, "model.onnx"))
        for op in {n.op_type for n in model.graph.node}:
            total[op] += 1
            if case not in expected:
                passing[op] += 1
    print("| op | conformance cases passing |")
    print("|---|---|")
    for op in claimed:
        print(f"| {op} | {passing[op]}/{total[op]} |")
    n = len(os.listdir(os.path.join(HERE, "node")))
    print(f"\n{n} cases, {n - len(expected)} passing, {len(expected)} expected failures")


if __name__ == "__main__":
    main()
