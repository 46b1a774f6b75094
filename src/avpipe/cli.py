"""The ``avpipe`` command: parse arguments, call the pipeline, print results. Nothing more."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from avpipe import __version__
from avpipe.config import ENV_DATA, Settings, parse_rungs
from avpipe.errors import AvpipeError
from avpipe.logs import configure_logging
from avpipe.manifest.model import Manifest, Status

log = logging.getLogger("avpipe.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        configure_logging(args.verbose, settings.log_format)
        result: int = args.command(args, settings)
        return result
    except AvpipeError as exc:
        print(f"avpipe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", type=Path, help=f"data folder holding watch/ and public/ (env {ENV_DATA}, "
                        "default ./avpipe-data)")
    common.add_argument("--rungs", help="ladder rungs, e.g. 360,480,720,1080 (1440 and 2160 available)")
    common.add_argument("--job-template", type=Path, help="a MediaConvert job.json to use instead of the packaged one")
    common.add_argument("-v", "--verbose", action="count", default=0, help="-v: steps, -vv: ffmpeg commands")
    parser = argparse.ArgumentParser(prog="avpipe", description="Audio/video processing pipeline.")
    parser.add_argument("--version", action="version", version=f"avpipe {__version__}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    p = sub.add_parser("process", parents=[common], help="put files into inputs/ and process them")
    p.add_argument("files", nargs="+", type=Path)
    p.set_defaults(command=cmd_process)
    w = sub.add_parser("watch", parents=[common], help="process files appearing in inputs/ until interrupted")
    w.add_argument("--workers", type=int, help="files processed at a time (default: number of cores)")
    w.add_argument("--poll", type=float, default=1.0, help="seconds between looks at inputs/ (default 1)")
    w.set_defaults(command=cmd_watch)
    j = sub.add_parser("jobs", parents=[common], help="list assets and their status")
    j.add_argument("--status", choices=["processing", "complete", "failed"], help="only assets in this status")
    j.set_defaults(command=cmd_jobs)
    r = sub.add_parser("retry", parents=[common], help="process assets again from their kept upload or original")
    r.add_argument("names", nargs="+", help="asset names as listed by 'avpipe jobs'")
    r.set_defaults(command=cmd_retry)
    d = sub.add_parser("demo", parents=[common], help="make a sample video with captions and process it")
    d.set_defaults(command=cmd_demo)
    pr = sub.add_parser("probe", parents=[common], help="print the analysed media facts as JSON")
    pr.add_argument("file", type=Path)
    pr.set_defaults(command=cmd_probe)
    pl = sub.add_parser("plan", parents=[common], help="print what processing a file would produce")
    pl.add_argument("file", type=Path)
    pl.add_argument("--json", action="store_true", help="the whole plan as JSON")
    pl.add_argument("--estimate", action="store_true", help="measure this machine's encode speed first if it is "
                    "not yet (once; kept in ~/.cache/avpipe) so the local time is estimated too")
    pl.set_defaults(command=cmd_plan)
    sv = sub.add_parser("serve", parents=[common], help="the upload page and media library, with the pipeline")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free port)")
    sv.add_argument("--workers", type=int, help="files processed at a time (default: number of cores)")
    sv.add_argument("--poll", type=float, default=1.0, help="seconds between looks at inputs/ (default 1)")
    sv.set_defaults(command=cmd_serve)
    _add_package_parser(sub)
    _add_verify_parser(sub)
    q = sub.add_parser("quality", parents=[common], help="measure VMAF of an asset's renditions against its source")
    q.add_argument("target", metavar="FILE|NAME", help="the processed file (the source), or the asset's name")
    q.set_defaults(command=cmd_quality)
    return parser


def _add_verify_parser(sub: Any) -> None:
    vf = sub.add_parser("verify", help="check published files against their manifests "
                        "(present, same size, same digest); exit 1 when anything is wrong")
    vf.add_argument("names", nargs="*", metavar="NAME", help="asset names as listed by 'avpipe jobs' (default: all)")
    vf.add_argument("--decode", action="store_true", help="also decode each media file end to end with ffmpeg")
    vf.add_argument("--data", type=Path, help=f"data folder holding watch/ and public/ (env {ENV_DATA}, "
                    "default ./avpipe-data; AVPIPE_PUBLIC_URL for a bucket)")
    vf.add_argument("-v", "--verbose", action="count", default=0, help="-v: each step, -vv: ffmpeg commands")
    vf.set_defaults(command=cmd_verify, rungs=None, job_template=None)


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """One line per asset; the outcome is kept in each manifest's ``verification``."""
    from avpipe.integrity import record_verification, verify_asset
    from avpipe.integrity.decode import decoder_for
    from avpipe.manifest.repository import list_manifests, load_manifest
    from avpipe.pipeline.context import utc_now

    runtime = _runtime(settings)
    store = runtime.public
    found = [(n, load_manifest(store, n)) for n in args.names] if args.names else \
        [(m.name, m) for m in list_manifests(store)]
    decoder = decoder_for(runtime.runner, store) if args.decode else None
    failures = 0
    if not found:
        print("no assets to verify.")
    for name, manifest in found:
        if manifest is None:
            print(f"{name}: FAILED: no such asset.")
            failures += 1
            continue
        report = verify_asset(store, manifest, decoder)
        record_verification(store, report, utc_now())
        print(report.line(), flush=True)
        failures += not report.ok
    return 1 if failures else 0


def _add_package_parser(sub: Any) -> None:
    from avpipe.packaging.plan import DEFAULT_OUT

    pk = sub.add_parser("package", help="build the AWS Lambda zip and layers and print the sam deploy command")
    pk.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT}, "
                    "where template.yaml looks)")
    pk.add_argument("--template", type=Path, default=Path("template.yaml"), help="the SAM template (default "
                    "./template.yaml); copied to OUT with its artefact paths pointing there")
    pk.add_argument("--stack-name", default="avpipe", help="CloudFormation stack name (default avpipe)")
    pk.add_argument("--application-name", help="ApplicationName parameter (names the buckets; default avpipe)")
    pk.add_argument("--email", help="NotificationEmail parameter: subscribe this address to job notifications")
    pk.add_argument("--region", help="AWS region for sam deploy (default: your AWS configuration's)")
    pk.add_argument("--function-only", action="store_true", help="build only function.zip (code changes)")
    pk.add_argument("-v", "--verbose", action="count", default=0, help="-v: show the pip commands")
    pk.set_defaults(command=cmd_package, data=None, rungs=None, job_template=None)


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(os.environ)
    return settings.with_overrides(
        data_dir=args.data,
        rungs=parse_rungs(args.rungs) if args.rungs else None,
        job_template=args.job_template,
        workers=getattr(args, "workers", None),
    )


def _runtime(settings: Settings) -> Any:
    from avpipe.pipeline.local_runtime import LocalRuntime

    return LocalRuntime.from_settings(settings)


def cmd_process(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings)
    rows, failures = [], 0
    for path in args.files:
        if not path.is_file():
            rows.append((path.name, "-", "-", "failed"))
            print(f"avpipe: {path}: no such file.", file=sys.stderr)
            failures += 1
            continue
        row, reason = _outcome(path.name, runtime.process_key(runtime.submit_file(str(path))))
        rows.append(row)
        if reason is not None:
            failures += 1
            print(f"avpipe: {path.name}: {reason}", file=sys.stderr)
    _print_table(("name", "kind", "outputs", "status"), rows)
    print(f"outputs in {Path(runtime.public.url)}")
    return 1 if failures else 0


def cmd_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.manifest.repository import list_manifests

    manifests = list_manifests(_runtime(settings).public, args.status)
    rows = [(m.name, m.kind, str(m.status), m.updated_at, m.error.reason if m.error else "") for m in manifests]
    _print_table(("name", "kind", "status", "updated", "reason"), rows)
    return 0


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings)
    rows, failures = [], 0
    for name in args.names:
        try:
            row, reason = _outcome(name, runtime.retry(name))
        except AvpipeError as exc:
            row, reason = (name, "-", "-", "failed"), str(exc)
        rows.append(row)
        if reason is not None:
            failures += 1
            print(f"avpipe: {name}: {reason}", file=sys.stderr)
    _print_table(("name", "kind", "outputs", "status"), rows)
    return 1 if failures else 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.demo import make_demo_files

    runtime = _runtime(settings)
    files = make_demo_files(runtime.runner, settings.data_dir / "demo-sources")
    args.files = files
    return cmd_process(args, settings)


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.watch import Watcher

    runtime = _runtime(settings)
    runtime.watch.put("inputs/.keep", b"")  # so the folder exists for people to drop files into
    watcher = Watcher.from_settings(runtime.watch, runtime.process_key, settings, poll_s=args.poll)
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    print(f"watching {Path(runtime.watch.url) / 'inputs'} (Ctrl-C to stop)", flush=True)
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop()
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import threading

    from avpipe.web.server import start
    from avpipe.web.settings import WebSettings

    running = start(settings, WebSettings.from_env(os.environ), host=args.host, port=args.port, poll_s=args.poll)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(f"avpipe serving on {running.url} (data in {settings.data_dir}; Ctrl-C to stop)", flush=True)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    running.stop()
    return 0


def cmd_probe(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.analysis.mediainfo import probe

    print(json.dumps(probe(args.file).to_dict(), indent=2, ensure_ascii=False))
    return 0


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.config import cache_dir
    from avpipe.cost.estimate import plan_with_estimate

    plan = plan_with_estimate(_runtime(settings), args.file, cache_dir(os.environ), measure=args.estimate)
    if args.json:
        print(json.dumps(plan, indent=2, ensure_ascii=False))
        return 0
    print(f"{plan['name']}: {plan['kind']} -> {plan['action']}")
    for key in plan["outputs"]:
        print(f"  {key}")
    for name in ("original", "manifest", "thumbnail"):
        if plan[name]:
            print(f"  {plan[name]}")
    if plan["mediaconvert_job"]:
        print("MediaConvert job: use --json to see the CreateJob parameters")
    _print_estimate(plan["estimate"])
    return 0


def _print_estimate(estimate: dict[str, Any]) -> None:
    price, local = estimate["mediaconvert"], estimate["local"]
    if price is not None and price["usd"] is None:
        print("MediaConvert: audio-only outputs are not in the price table")
    elif price is not None:
        tiers = ", ".join(f"{t} ${v:.4f}" for t, v in price["usd_by_tier"].items() if v is not None)
        print(f"MediaConvert: ${price['usd']:.4f} in the {price['tier']} tier ({tiers}; prices of "
              f"{price['price_table']['as_of']}, {price['price_table']['source']})")
    if local is not None:
        print(f"locally: about {local['wall_s']:.1f} s wall, {local['cpu_s']:.1f} s CPU" if local["wall_s"] is not None
              else f"locally: {local['reason']}")


def cmd_package(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.packaging import DeployOptions, format_report, package_for_lambda

    parameters = {"ApplicationName": args.application_name or "", "NotificationEmail": args.email or ""}
    deploy = DeployOptions(stack_name=args.stack_name, parameters=parameters, region=args.region)
    report = package_for_lambda(args.out, args.template, deploy, layers=not args.function_only)
    print(format_report(report))
    return 0 if report.ok else 1


def cmd_quality(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.quality.record import assess_asset
    from avpipe.quality.run import quality_tools, target_of

    runtime = _runtime(settings)
    tools, chosen = quality_tools(runtime.runner.executable, runtime.probe, runtime.clock, settings.ffmpeg_threads)
    if chosen.note:
        print(f"avpipe: {chosen.note}", file=sys.stderr)
    name, source = target_of(args.target)
    manifest = assess_asset(runtime.public, name, tools, source)
    rows = [(o.key.rsplit("/", 1)[-1], f"{o.width}x{o.height}", f"{o.quality['vmaf_mean']:.2f}",
             f"{o.quality['vmaf_p5']:.2f}") for o in manifest.outputs if o.quality]
    _print_table(("rendition", "size", "VMAF mean", "VMAF 5th pct"), rows)
    return 0


def _outcome(name: str, manifest: Manifest | None) -> tuple[tuple[str, str, str, str], str | None]:
    """The table row for one processed file, and the reason it failed (None on success)."""
    if manifest is None:
        return (name, "-", "-", "skipped"), "it was not processed."
    own = [c for c in manifest.captions if c.source.rsplit("/", 1)[-1] == name]
    if manifest.kind != "caption" and own:  # a caption file attached to another asset
        entry = own[-1]
        keys = ", ".join(c.key.rsplit("/", 1)[-1] for c in own if c.key) or "-"
        return (name, "caption", keys, entry.status), entry.reason if entry.status != "complete" else None
    outputs = [o.key.rsplit("/", 1)[-1] for o in manifest.outputs]
    outputs += [c.key.rsplit("/", 1)[-1] for c in manifest.captions if c.key and manifest.kind == "caption"]
    row = (name, manifest.kind, ", ".join(outputs) or "-", str(manifest.status))
    if manifest.status is Status.COMPLETE:
        return row, None
    return row, manifest.error.reason if manifest.error else f"it is still {manifest.status}."


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
