"""The avpipe command as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from media import MediaLibrary

AVPIPE = str(Path(sys.executable).with_name("avpipe"))  # the console script pip installed


def avpipe(*args: str, data: Path | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script; ``--data`` goes before the subcommand (it is accepted on either side)."""
    environ = {**os.environ, **(env or {})}
    environ.pop("AVPIPE_DATA", None)
    options = ["--data", str(data)] if data is not None else []
    return subprocess.run([AVPIPE, *options, *args], capture_output=True, text=True, env=environ, timeout=120,
                          check=False)


def test_process_prints_a_table_and_exits_0(tmp_path: Path, media: MediaLibrary) -> None:
    result = avpipe("process", str(media.tiny), str(media.mp3), data=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "kind", "outputs", "status"]
    assert "tiny.mp4" in lines[1] and "tiny_90p.mp4" in lines[1] and lines[1].endswith("complete")
    assert "audio.mp3" in lines[2] and lines[2].endswith("complete")
    assert (tmp_path / "public/json/tiny.json").exists()


def test_a_failure_is_one_sentence_and_exit_1(tmp_path: Path, media: MediaLibrary) -> None:
    result = avpipe("process", str(media.corrupt_mp4), str(media.tiny), data=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    reason = "The file is not audio, video or a caption file avpipe reads (found: no recognisable format)."
    assert result.stderr.count(reason) == 1, result.stderr  # printed once, not as a log line and again
    errors = [line for line in result.stderr.splitlines() if line.startswith("avpipe: ")]
    assert errors == [f"avpipe: corrupt.mp4: {reason}"]
    assert "failed" in result.stdout and "complete" in result.stdout
    assert (tmp_path / "watch/inputs/corrupt.mp4").exists()


def test_one_line_per_finished_file_and_plain_progress_when_not_a_terminal(tmp_path: Path,
                                                                           media: MediaLibrary) -> None:
    result = avpipe("process", str(media.tiny), str(media.mp3), data=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "tiny.mp4: 0% of the ladder, 0:00 elapsed" in lines  # the plain start line of the transcode
    video_line = "tiny.mp4: video -> tiny_90p.mp4, tiny.m3u8, tiny.mpd (complete in "  # the MP4, the HLS and DASH
    assert any(line.startswith(video_line) for line in lines), lines
    assert any(line.startswith("audio.mp3: audio -> audio.mp3 (complete in ") for line in lines), lines
    assert "\x1b[" not in result.stderr, "no terminal codes when stderr is not a terminal"


def test_missing_file(tmp_path: Path) -> None:
    result = avpipe("process", str(tmp_path / "nope.mp4"), data=tmp_path)
    assert result.returncode == 1 and "no such file" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == "", "no failed row for a file that is not there"


def test_a_directory_is_refused_or_processed_with_recursive(tmp_path: Path, media: MediaLibrary) -> None:
    import shutil

    folder = tmp_path / "course1"
    (folder / "week1").mkdir(parents=True)
    shutil.copy(media.mp3, folder / "week1" / "song.mp3")
    (folder / ".hidden").write_text("not for processing")
    refused = avpipe("process", str(folder), data=tmp_path / "data")
    assert refused.returncode == 1
    assert refused.stderr == f"avpipe: {folder}: is a directory (use --recursive to process the files in it).\n"
    assert refused.stdout == "" and not (tmp_path / "data/public/json").exists()

    done = avpipe("process", "--recursive", str(folder), data=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].split() == ["course1/week1/song.mp3", "audio", "song.mp3", "complete"]
    assert (tmp_path / "data/public/audiovideo/course1/week1/song.mp3").is_file()
    assert not (tmp_path / "data/public/json/course1/.hidden.json").exists()


def test_probe_prints_facts(tmp_path: Path, media: MediaLibrary) -> None:
    result = avpipe("probe", str(media.rotated), data=None)
    facts = json.loads(result.stdout)
    assert facts["video"]["display_width"] == 720 and facts["video"]["display_height"] == 1280


def test_plan_json_has_the_exact_mediaconvert_request(tmp_path: Path, media: MediaLibrary) -> None:
    env = {"MEDIACONVERT_ROLE_ARN": "arn:aws:iam::123456789012:role/mc", "APPLICATION_NAME": "demo-app"}
    result = avpipe("plan", str(media.landscape_720p), "--json", data=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [r["rung"] for r in plan["renditions"]] == [360, 480, 720]
    assert plan["outputs"][-1] == "audiovideo/landscape_720p_720p.mp4"
    job = plan["mediaconvert_job"]
    assert job["Role"] == env["MEDIACONVERT_ROLE_ARN"]
    assert job["UserMetadata"]["application"] == "demo-app"
    assert [o["NameModifier"] for o in job["Settings"]["OutputGroups"][0]["Outputs"]] == ["_360p", "_480p", "_720p"]
    assert not (tmp_path / "public/json").exists(), "plan runs nothing"


def test_plan_text_and_json_logs(tmp_path: Path, media: MediaLibrary) -> None:
    result = avpipe("plan", str(media.wav), "-v", data=tmp_path, env={"AVPIPE_LOG_FORMAT": "json"})
    assert result.returncode == 0
    assert "audio -> transcode_audio" in result.stdout and "audiovideo/audio.mp3" in result.stdout


def test_process_logs_json_lines(tmp_path: Path, media: MediaLibrary) -> None:
    result = avpipe("process", str(media.mp3), "-v", data=tmp_path, env={"AVPIPE_LOG_FORMAT": "json"})
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert any("analysing" in r["message"] for r in records)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)


def test_bad_configuration_is_one_sentence(tmp_path: Path, media: MediaLibrary) -> None:
    result = avpipe("process", str(media.tiny), data=tmp_path, env={"AVPIPE_RUNGS": "360,999"})
    assert result.returncode == 2 and result.stderr.startswith("avpipe: Rungs must be")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("env", "message"), [
    ({"AVPIPE_LOG_FORMAT": "xml"}, "AVPIPE_LOG_FORMAT must be one of text, json; got 'xml'."),
    ({"AVPIPE_TRANSIENT_RETRIES": "-1"}, "AVPIPE_TRANSIENT_RETRIES must not be negative; got -1."),
    ({"AVPIPE_WORKERS": "2.5"}, "AVPIPE_WORKERS must be a whole number; got '2.5'."),
])
def test_settings_are_validated_naming_the_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = avpipe("jobs", data=tmp_path, env=env)
    assert result.returncode == 2 and result.stderr == f"avpipe: {message}\n" and result.stdout == ""


def test_shared_options_before_the_subcommand_and_only_where_they_do_something(tmp_path: Path,
                                                                                media: MediaLibrary) -> None:
    after = subprocess.run([AVPIPE, "process", str(media.mp3), "--data", str(tmp_path), "-v"], capture_output=True,
                           text=True, timeout=120, check=False)
    assert after.returncode == 0 and (tmp_path / "public/json/audio.json").is_file()
    listed = subprocess.run([AVPIPE, "--data", str(tmp_path), "jobs", "--status", "complete"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert listed.stdout.splitlines()[1].split()[:3] == ["audio", "audio", "complete"]
    for argv, complaint in (
        (["--rungs", "360", "jobs"], "--rungs does nothing for 'jobs'"),
        (["--data", str(tmp_path), "probe", str(media.mp3)], "--data does nothing for 'probe'"),
        (["probe", str(media.mp3), "--data", str(tmp_path)], "unrecognized arguments: --data"),
        (["jobs", "--job-template", "x.json"], "unrecognized arguments: --job-template"),
        (["watch", "--workers", "0"], "must be greater than 0"),
    ):
        refused = subprocess.run([AVPIPE, *argv], capture_output=True, text=True, timeout=60, check=False)
        assert refused.returncode == 2 and complaint in refused.stderr, (argv, refused.stderr)


def test_every_subcommand_and_argument_has_help() -> None:
    import argparse

    from avpipe.cli import _parser

    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {c.dest for c in sub._choices_actions} == set(sub.choices)
    assert all(c.help for c in sub._choices_actions)
    for name, command in sub.choices.items():
        for action in command._actions:
            assert action.help, f"avpipe {name} {action.dest} has no help text"
    shown = subprocess.run([AVPIPE, "process", "--help"], capture_output=True, text=True, timeout=60, check=True)
    assert "audio, video or caption files" in shown.stdout and "--recursive" in shown.stdout


def test_jobs_lists_failures_and_retry_reruns_them(tmp_path: Path, media: MediaLibrary) -> None:
    from avpipe.planning.templates import load_template

    body = load_template(None, "job.json").fresh()
    body["Settings"]["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"]["Codec"] = "H_265"
    template = tmp_path / "bad-job.json"
    template.write_text(json.dumps(body))
    first = avpipe("process", str(media.tiny), "--job-template", str(template), data=tmp_path)
    assert first.returncode == 1 and "H_265" in first.stderr

    listed = avpipe("jobs", "--status", "failed", data=tmp_path)
    assert listed.stdout.splitlines()[1].split()[:3] == ["tiny", "video", "failed"]
    manifest = json.loads((tmp_path / "public/json/tiny.json").read_text())
    assert manifest["error"]["category"] == "configuration"

    retried = avpipe("retry", "tiny", data=tmp_path)
    assert retried.returncode == 0, retried.stderr
    assert "tiny_90p.mp4" in retried.stdout and not (tmp_path / "watch/inputs/tiny.mp4").exists()
    assert avpipe("jobs", "--status", "failed", data=tmp_path).stdout.splitlines()[1:] == []


def test_retry_restores_from_the_original_when_the_upload_is_gone(tmp_path: Path, media: MediaLibrary) -> None:
    assert avpipe("process", str(media.mp3), data=tmp_path).returncode == 0
    assert not (tmp_path / "watch/inputs/audio.mp3").exists()
    before = json.loads((tmp_path / "public/json/audio.json").read_text())
    asked = avpipe("retry", "audio", data=tmp_path)
    assert asked.returncode == 1 and asked.stdout == ""
    assert asked.stderr == "avpipe: audio: It is already complete; use --force to process it again.\n"
    assert json.loads((tmp_path / "public/json/audio.json").read_text()) == before, "nothing was re-encoded"

    retried = avpipe("retry", "audio", "nothing-here", "--force", data=tmp_path)
    assert retried.returncode == 1
    assert "avpipe: nothing-here: There is no asset named 'nothing-here'." in retried.stderr
    assert "audio.mp3" in retried.stdout and "complete" in retried.stdout
    after = json.loads((tmp_path / "public/json/audio.json").read_text())
    assert after["created_at"] == before["created_at"]
    assert after["history"][:len(before["history"])] == before["history"], "a retry appends to the history"
    assert [h["status"] for h in after["history"]] == ["processing", "complete", "processing", "complete"]


def test_watch_command_processes_dropped_files_until_interrupted(tmp_path: Path, media: MediaLibrary) -> None:
    import shutil
    import signal
    import time

    environ = {k: v for k, v in os.environ.items() if k != "AVPIPE_DATA"}
    watcher = subprocess.Popen([AVPIPE, "watch", "--data", str(tmp_path), "--poll", "0.1",
                                "--workers", "1"], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        inputs = tmp_path / "watch/inputs"
        deadline = time.monotonic() + 30
        while not inputs.is_dir() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.copy(media.mp3, inputs / "dropped.mp3")
        manifest = tmp_path / "public/json/dropped.json"
        while time.monotonic() < deadline and not (manifest.exists() and '"complete"' in manifest.read_text()):
            time.sleep(0.05)
        assert manifest.exists() and json.loads(manifest.read_text())["status"] == "complete"
    finally:
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "watching" in out and "Traceback" not in err
    finished = [line for line in err.splitlines() if "dropped.mp3: audio -> dropped.mp3 (complete in " in line]
    assert len(finished) == 1, err  # one line per finished upload at the default verbosity


def test_readme_demo_command(tmp_path: Path) -> None:
    """The README's run command ends in `avpipe demo`: it must keep working as written."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/avpipe demo" in readme
    result = avpipe("demo", data=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "avpipe-demo.mp4" in result.stdout and "avpipe-demo.srt" in result.stdout
    manifest = json.loads((tmp_path / "public/json/avpipe-demo.json").read_text())
    assert manifest["status"] == "complete" and [o["rung"] for o in manifest["outputs"] if o["rung"]] == [360, 480, 720]
    assert manifest["thumbnail"] and manifest["captions"][0]["cues"] == 3


def test_plan_json_with_s3_stores_has_the_cmaf_group(tmp_path: Path, media: MediaLibrary) -> None:
    env = {"MEDIACONVERT_ROLE_ARN": "arn:aws:iam::123456789012:role/mc",
           "AVPIPE_WATCH_URL": "s3://avpipe-watch", "AVPIPE_PUBLIC_URL": "s3://avpipe-public"}
    result = avpipe("plan", str(media.landscape_720p), "--json", data=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["streams"] == {"hls": "audiovideo/landscape_720p.m3u8", "dash": "audiovideo/landscape_720p.mpd"}
    files, stream = plan["mediaconvert_job"]["Settings"]["OutputGroups"]
    assert stream["OutputGroupSettings"]["Type"] == "CMAF_GROUP_SETTINGS"
    destination = stream["OutputGroupSettings"]["CmafGroupSettings"]["Destination"]
    assert destination.startswith("s3://avpipe-public/staging/")
    assert destination == files["OutputGroupSettings"]["FileGroupSettings"]["Destination"]
    assert [o["NameModifier"] for o in stream["Outputs"]] == ["_360p", "_480p", "_720p", "_audio"]
