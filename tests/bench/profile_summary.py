"""Summarise a py-spy ``--format raw`` profile: where the samples are, by function.

    python -m tests.bench.profile_summary PROFILE.txt [--filter SUBSTRING] [--top 30]

Prints the functions with the most samples *inclusive* (anywhere on the stack) and *self*
(top of the stack), as a share of all samples. With ``--filter``, only stacks passing through
a frame containing SUBSTRING count (e.g. ``deliver_pending``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--filter", default="")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        if args.filter and not any(args.filter in frame for frame in frames):
            continue
        count = int(count_text)
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        print("no samples")
        return
    print(f"{total} samples{' through ' + args.filter if args.filter else ''}")
    print("-- inclusive --")
    for frame, count in inclusive.most_common(args.top):
        print(f"{100 * count / total:5.1f}%  {frame}")
    print("-- self --")
    for frame, count in own.most_common(args.top):
        print(f"{100 * count / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
