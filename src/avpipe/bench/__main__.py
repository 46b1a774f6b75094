"""``python -m avpipe.bench [--cases 1,5] [--repeat N] [--quick] [--json PATH] [--work DIR]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from avpipe.bench.cases import CASES
from avpipe.bench.inputs import InputSizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m avpipe.bench", description=__doc__)
    parser.add_argument("--cases", default=",".join(map(str, CASES)), help="case numbers, e.g. 1,5 (default: all)")
    parser.add_argument("--repeat", type=int, help="rounds of each case (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="tiny inputs, one round: a smoke run; targets that "
                        "need real inputs are shown as n/a (quick)")
    parser.add_argument("--large-mb", type=int, help="size of the large S3 object in MiB (default 1024)")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument("--work", type=Path, default=Path(".avpipe-bench"), help="inputs and scratch folder")
    args = parser.parse_args(argv)
    from avpipe.bench.report import build_report, render
    from avpipe.bench.runner import BenchOptions, run_cases
    from avpipe.ffmpeg.locate import find_ffmpeg

    sizes = InputSizes.quick() if args.quick else InputSizes()
    if args.large_mb:
        sizes = InputSizes(**{**vars(sizes), "large_mb": args.large_mb})
    cases = tuple(int(part) for part in args.cases.split(",") if part.strip())
    unknown = [c for c in cases if c not in CASES]
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if unknown or args.repeat < 1:
        parser.error(f"unknown case(s) {unknown}; choose from {sorted(CASES)}" if unknown else "--repeat must be >= 1")
    work = args.work / ("quick" if args.quick else "full")
    options = BenchOptions(cases, args.repeat, work.resolve(), sizes, find_ffmpeg())
    def save(results: dict[int, dict[str, list[dict[str, object]]]]) -> None:
        if args.json:  # after every case, so a long run interrupted still leaves its numbers
            report = build_report(results, args.repeat, quick=args.quick)
            args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    results = run_cases(options, lambda line: print(line, file=sys.stderr, flush=True), save)
    print(render(build_report(results, args.repeat, quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
