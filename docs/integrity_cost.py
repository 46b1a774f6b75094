"""The CPU cost of file integrity (SHA-256 per published file, codecs and bitrates from the moov box) next
to the CPU of the 1080p ladder job it belongs to. Run: .venv/bin/python docs/integrity_cost.py .avpipe-bench
(makes the benchmark's 30 s 1080p clip if it is not cached there; prints JSON, see docs/performance.md)."""
import json, os, resource, sys, tempfile, time
from pathlib import Path
from avpipe.bench.inputs import Inputs, InputSizes
from avpipe.config import Settings
from avpipe.ffmpeg import find_ffmpeg
from avpipe.manifest.output_facts import describe_output
from avpipe.pipeline.local_runtime import LocalRuntime

def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

work = Path(sys.argv[1]); work.mkdir(parents=True, exist_ok=True)
clip = Inputs(work / "inputs", find_ffmpeg(), InputSizes()).clip_1080p()
data = Path(tempfile.mkdtemp(prefix="integrity-measure-", dir=work))
runtime = LocalRuntime.from_settings(Settings(data_dir=data, rungs=(360, 480, 720, 1080)))
key = runtime.submit_file(str(clip), "clip.mp4")
t0, w0 = cpu(), time.monotonic()
manifest = runtime.process_key(key)
job_cpu, job_wall = cpu() - t0, time.monotonic() - w0
assert manifest is not None and manifest.status == "complete", manifest
store = runtime.public
files = [manifest.original, *(o.key for o in manifest.outputs), manifest.thumbnail]
rounds = []
for _ in range(5):
    p0 = time.process_time()
    total = 0
    for k in files:
        rec = store.fingerprint(k)   # unhinted: a full read + SHA-256, as for every output
        total += rec.size
        if k.endswith(".mp4") and not k.startswith("original/"):
            describe_output(store, k, rec.size, None)
    rounds.append(time.process_time() - p0)
integrity = sorted(rounds)[len(rounds) // 2]
print(json.dumps({"job_cpu_s": round(job_cpu, 2), "job_wall_s": round(job_wall, 2), "integrity_cpu_s": round(integrity, 4),
                  "share_percent": round(100 * integrity / job_cpu, 3), "bytes_hashed": total,
                  "files": files, "outputs": [{k: getattr(o, k) for k in ("key", "codecs", "bitrate", "video_bitrate", "audio_bitrate")} for o in manifest.outputs],
                  "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": "), "loadavg": os.getloadavg()}, indent=1))
