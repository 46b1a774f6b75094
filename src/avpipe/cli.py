"""The ``avpipe`` command: parse arguments, call the pipeline, print results. Nothing more."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from avpipe import __version__
from avpipe.config import ENV_DATA, Settings, parse_rungs
from avpipe.errors import AvpipeError
from avpipe.logs import configure_logging
from avpipe.manifest.model import Status
from avpipe.outcome import Outcome

log = logging.getLogger("avpipe.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check_options(parser, args)
    try:
        settings = _settings(args)
        configure_logging(args.verbose or 0, settings.log_format)
        result: int = args.command(args, settings)
        return result
    except AvpipeError as exc:
        print(f"avpipe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("avpipe: interrupted.", file=sys.stderr)
        return 130


# options shared by several subcommands: accepted before the subcommand too (avpipe --data D process x)
_DATA, _LADDER, _VERBOSE = "data", "ladder", "verbose"
_SHARED = {"data": _DATA, "rungs": _LADDER, "job_template": _LADDER, "verbose": _VERBOSE}


def _add_shared(parser: argparse.ArgumentParser, groups: set[str], default: Any) -> None:
    """The shared options of ``groups``; ``default=SUPPRESS`` on subcommands keeps a value given before them."""
    if _DATA in groups:
        parser.add_argument("--data", type=Path, default=default, help=f"data folder holding watch/ and public/ "
                            f"(env {ENV_DATA}, default ./avpipe-data)")
    if _LADDER in groups:
        parser.add_argument("--rungs", default=default, help="ladder rungs, e.g. 360,480,720,1080 (1440 and 2160 "
                            "available)")
        parser.add_argument("--job-template", type=Path, default=default,
                            help="a MediaConvert job.json to use instead of the packaged one")
    if _VERBOSE in groups:
        parser.add_argument("-v", "--verbose", action="count", default=default, help="-v: steps, -vv: ffmpeg commands")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="avpipe", description="Audio/video processing pipeline.",
                                     epilog="--data, --rungs, --job-template and -v may come before COMMAND too, "
                                     "for the commands that use them; 'avpipe COMMAND --help' shows which.")
    parser.add_argument("--version", action="version", version=f"avpipe {__version__}")
    _add_shared(parser, {_DATA, _LADDER, _VERBOSE}, None)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    every = {_DATA, _LADDER, _VERBOSE}

    def command(name: str, groups: set[str], func: Any, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
        _add_shared(p, groups, argparse.SUPPRESS)
        p.set_defaults(command=func, groups=groups)
        return p

    p = command("process", every, cmd_process, "put files into inputs/ and process them now")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="audio, video or caption files (a folder needs --recursive)")
    p.add_argument("-r", "--recursive", action="store_true", help="process the files inside folders given, "
                   "keeping their sub-folders")
    w = command("watch", every, cmd_watch, "process files appearing in inputs/ until interrupted")
    _add_worker_options(w)
    j = command("jobs", {_DATA, _VERBOSE}, cmd_jobs, "list assets and their status")
    j.add_argument("--status", choices=[str(s) for s in Status], help="only assets in this status")
    r = command("retry", every, cmd_retry, "process assets again from their kept upload or original")
    r.add_argument("names", nargs="+", metavar="NAME", help="asset names as listed by 'avpipe jobs'")
    r.add_argument("--force", action="store_true", help="also re-encode assets that are already complete")
    command("demo", every, cmd_demo, "make a sample video with captions and process it")
    pr = command("probe", {_VERBOSE}, cmd_probe, "print the analysed media facts as JSON")
    pr.add_argument("file", type=Path, metavar="FILE", help="the audio, video or caption file to analyse")
    pl = command("plan", every, cmd_plan, "print what processing a file would produce (runs nothing)")
    pl.add_argument("file", type=Path, metavar="FILE", help="the file to plan for")
    pl.add_argument("--json", action="store_true", help="the whole plan as JSON")
    pl.add_argument("--estimate", action="store_true", help="measure this machine's encode speed first if it is "
                    "not yet (once; kept in ~/.cache/avpipe) so the local time is estimated too")
    sv = command("serve", every, cmd_serve, "the upload page and media library, with the pipeline")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free port)")
    _add_worker_options(sv)
    sv.add_argument("--web-workers", type=_positive(int), default=1, help="web server processes (default 1); "
                    "they share nothing in memory and never transcode")
    _add_package_options(command("package", {_VERBOSE}, cmd_package,
                                 "build the AWS Lambda zip and layers and print the sam deploy command"))
    vf = command("verify", {_DATA, _VERBOSE}, cmd_verify, "check published files against their manifests "
                 "(present, same size, same digest); exit 1 when anything is wrong")
    vf.add_argument("names", nargs="*", metavar="NAME", help="asset names as listed by 'avpipe jobs' (default: all)")
    vf.add_argument("--decode", action="store_true", help="also decode each media file end to end with ffmpeg")
    q = command("quality", {_DATA, _VERBOSE}, cmd_quality, "measure VMAF of an asset's renditions against its source")
    q.add_argument("target", metavar="FILE|NAME", help="the processed file (the source), or the asset's name")
    return parser


def _add_worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=_positive(int), help="files processed at a time (default: number of cores)")
    parser.add_argument("--poll", type=_positive(float), default=1.0,
                        help="seconds between looks at inputs/ (default 1)")


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
        return value

    return parse


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


def _add_package_options(pk: argparse.ArgumentParser) -> None:
    from avpipe.packaging.plan import DEFAULT_OUT

    pk.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT}, "
                    "where template.yaml looks)")
    pk.add_argument("--template", type=Path, default=Path("template.yaml"), help="the SAM template (default "
                    "./template.yaml); copied to OUT with its artefact paths pointing there")
    pk.add_argument("--stack-name", default="avpipe", help="CloudFormation stack name (default avpipe)")
    pk.add_argument("--application-name", help="ApplicationName parameter (names the buckets; default avpipe)")
    pk.add_argument("--email", help="NotificationEmail parameter: subscribe this address to job notifications")
    pk.add_argument("--region", help="AWS region for sam deploy (default: your AWS configuration's)")
    pk.add_argument("--function-only", action="store_true", help="build only function.zip (code changes)")


def _check_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A shared option given before a subcommand it does nothing for is an error, as it is after it."""
    for dest, group in _SHARED.items():
        if getattr(args, dest, None) is not None and group not in args.groups:
            flag = "-v" if dest == "verbose" else "--" + dest.replace("_", "-")
            parser.error(f"{flag} does nothing for '{args.command.__name__.removeprefix('cmd_')}'")


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(os.environ)
    rungs = getattr(args, "rungs", None)
    return settings.with_overrides(
        data_dir=getattr(args, "data", None),
        rungs=parse_rungs(rungs) if rungs else None,
        job_template=getattr(args, "job_template", None),
        workers=getattr(args, "workers", None),
    )


def _runtime(settings: Settings) -> Any:
    from avpipe.pipeline.local_runtime import LocalRuntime

    return LocalRuntime.from_settings(settings)


def cmd_process(args: argparse.Namespace, settings: Settings) -> int:
    files, problems = _inputs(args.files, args.recursive)
    for problem in problems:
        print(f"avpipe: {problem}", file=sys.stderr)
    if not files:
        return 1
    runtime = _runtime(settings)
    with _reporting(runtime) as outcomes:
        for path, name in files:
            try:
                runtime.process_key(runtime.submit_file(str(path), name))
            except KeyboardInterrupt:
                print(f"avpipe: interrupted while processing {name}; it is recorded as failed, and "
                      "'avpipe retry' runs it again.", file=sys.stderr)
                return 130
    _print_table(("name", "kind", "outputs", "status"), [o.row for o in outcomes])
    print(f"outputs in {Path(runtime.public.url)}")
    return 1 if problems or not all(o.ok for o in outcomes) else 0


def _inputs(paths: Sequence[Path], recursive: bool) -> tuple[list[tuple[Path, str]], list[str]]:
    """The files to process with their names below inputs/, and one sentence per argument refused."""
    files: list[tuple[Path, str]] = []
    problems: list[str] = []
    for path in paths:
        if path.is_file():
            files.append((path, path.name))
        elif path.is_dir() and recursive:
            folder = path.absolute()
            found = sorted(p for p in folder.rglob("*") if p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(folder).parts))
            files += [(p, p.relative_to(folder.parent).as_posix()) for p in found]
            if not found:
                problems.append(f"{path}: the folder holds no files.")
        elif path.is_dir():
            problems.append(f"{path}: is a directory (use --recursive to process the files in it).")
        else:
            problems.append(f"{path}: no such file.")
    return files, problems


@contextmanager
def _reporting(runtime: Any) -> Iterator[list[Outcome]]:
    """Show progress while files are processed, one line per finished file; collect the outcomes."""
    from avpipe.pipeline.local_runtime import log_outcome
    from avpipe.progress_display import ProgressDisplay

    outcomes: list[Outcome] = []
    as_json = runtime.settings.log_format == "json"  # machines read stderr: each outcome is a log record
    display = ProgressDisplay(runtime.public, sys.stderr, live=False if as_json else None)

    def finished(key: str, outcome: Outcome) -> None:
        outcomes.append(outcome)
        if as_json:
            log_outcome(outcome)
        else:
            display.finished(key, outcome.line() if outcome.ok else f"avpipe: {outcome.name}: {outcome.reason}")

    if as_json:
        runtime.on_finished = finished
        yield outcomes
        return

    runtime.progress, runtime.on_finished = display, finished
    with display:
        yield outcomes


def cmd_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.manifest.repository import list_manifests

    manifests = list_manifests(_runtime(settings).public, args.status)
    rows = [(m.name, m.kind, str(m.status), m.updated_at, m.error.reason if m.error else "") for m in manifests]
    _print_table(("name", "kind", "status", "updated", "reason"), rows)
    return 0


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings)
    refused = 0
    with _reporting(runtime) as outcomes:
        for name in args.names:
            try:
                runtime.retry(name, force=args.force)
            except AvpipeError as exc:
                print(f"avpipe: {name}: {exc}", file=sys.stderr)
                refused += 1
    if outcomes:
        _print_table(("name", "kind", "outputs", "status"), [o.row for o in outcomes])
    return 1 if refused or not all(o.ok for o in outcomes) else 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from avpipe.demo import make_demo_files

    runtime = _runtime(settings)
    files = make_demo_files(runtime.runner, settings.data_dir / "demo-sources")
    args.files, args.recursive = files, False
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

    from avpipe.web.server import serve_processes, start
    from avpipe.web.settings import WebSettings

    if args.web_workers > 1:
        def ready(url: str) -> None:
            print(f"avpipe serving on {url} with {args.web_workers} web processes (data in {settings.data_dir}; "
                  "Ctrl-C to stop)", flush=True)

        serve_processes(settings, WebSettings.from_env(os.environ), processes=args.web_workers, host=args.host,
                        port=args.port, poll_s=args.poll, on_ready=ready)
        return 0
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
    for note in plan.get("notes", []):
        print(f"  note: {note}")
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


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
