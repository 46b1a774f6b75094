"""The quality case's three sources, drawn by ffmpeg's lavfi and cached: realistic enough for
rate-quality curves, short enough for two cores.

- ``talking_head``: a person (head and shoulders, swaying) before a soft, out-of-focus room,
  light grain (+-2 levels, what a webcam leaves after its own denoiser), a lower-third
  caption: the typical course or meeting video. (With +-5 levels of grain, no 360p rendition
  of it, even at CRF 8, reaches VMAF 75 at 1080p: the grain is detail 360p cannot hold.)
- ``high_motion``: a detailed colourful texture panning fast, a test card flying across it,
  heavy grain: sport or a handheld camera, the hard case for every encoder.
- ``screen``: flat colours and sharp text (a code editor scrolling, a cellular automaton as the
  "animation" window, from a fixed seed so every run draws the same), no grain: screen
  recordings and cartoons.

Each is encoded once like a camera or capture file (x264 ``veryfast`` CRF 16 at the source's
size, 1 s GOPs), so the renditions are compared with a good but real H.264 source.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SOURCES = ("talking_head", "high_motion", "screen")
REVISION = 3  # part of the cached files' names: a change to the drawings makes new files
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"), Path("/usr/share/fonts/dejavu"))
CODE = ("def transcode(source, ladder):", "    for rung in ladder:", "        encode(source, rung.width, rung.height)",
        "    return ladder", "", "class Rendition:", "    width: int", "    height: int", "    vmaf: float", "")


def font(name: str) -> str | None:
    """A TrueType font for drawtext, when the system has DejaVu; the text is left out otherwise."""
    return next((str(d / name) for d in FONT_DIRS if (d / name).is_file()), None)


def _escape(path: str) -> str:
    return path.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")


def _still(source: str, rate: int) -> str:
    """A lavfi source drawn once and repeated (drawing every frame would cost seconds per second)."""
    return f"{source},trim=end_frame=1,loop=loop=-1:size=1,setpts=N/{rate}/TB"


def talking_head_graph(w: int, h: int, rate: int) -> str:
    pw, ph = w * 3 // 10 // 2 * 2, h * 7 // 10 // 2 * 2
    inside = "lt(hypot((X-W/2)/(W*0.36),(Y-H*0.28)/(H*0.28)),1)"
    eyes = "lt(hypot(X-W*0.38,Y-H*0.24),W*0.035)+lt(hypot(X-W*0.62,Y-H*0.24),W*0.035)"
    lum = (f"if(lt(Y,H*0.55),170+40*(1-hypot((X-W/2)/(W*0.36),(Y-H*0.28)/(H*0.28)))-60*({eyes})"
           f"-50*between(Y,H*0.38,H*0.40)*between(X,W*0.42,W*0.58),60+20*sin(X/9))")
    alpha = f"255*({inside}+gte(Y,H*0.55)*lt(abs(X-W/2),W*(0.2+(Y-H*0.55)/H)))"
    person = (f"color=c=black:s={pw}x{ph}:r={rate}:d=0.05,format=yuva444p,"
              f"geq=lum='{lum}':cb='if(lt(Y,H*0.55),110,150)':cr='if(lt(Y,H*0.55),150,120)':a='{alpha}',"
              f"loop=loop=-1:size=1,setpts=N/{rate}/TB")
    room = _still(f"mandelbrot=s={w}x{h}:r={rate}:start_scale=0.6", rate) + ",gblur=sigma=12,eq=saturation=0.5"
    text = font("DejaVuSans.ttf")
    caption = (",drawbox=x=0:y=ih*0.8:w=iw*0.45:h=ih*0.1:color=0x1a3a6a@0.85:t=fill"
               + (f",drawtext=fontfile='{_escape(text)}':text='Dr. Jane Doe - Quarterly results':x=w*0.02:y=h*0.82:"
                  "fontsize=h/22:fontcolor=white" if text else ""))
    return (f"{room}[bg];{person}[p];[bg][p]overlay=x='(W-w)/2+W*0.01*sin(t*1.3)':y='H-h+H*0.01*sin(t*2.1)':"
            f"shortest=1,noise=alls=2:allf=t{caption}")


def high_motion_graph(w: int, h: int, rate: int) -> str:
    texture = _still(f"mandelbrot=s={w * 2}x{h}:r={rate}:start_scale=0.05:start_x=-0.75:start_y=0.1", rate)
    return (f"{texture},scroll=h=0.008:v=0.003,crop={w}:{h}:0:0[t];testsrc2=s={w // 3}x{h // 3}:r={rate}[o];"
            f"[t][o]overlay=x='mod(t*{w // 3}\\,W)-w/2':y='H/3+H/4*sin(t*3)',noise=alls=10:allf=t")


def screen_graph(w: int, h: int, rate: int, code_file: Path) -> str:
    mono, sans = font("DejaVuSansMono.ttf"), font("DejaVuSans.ttf")
    editor = (f",drawtext=fontfile='{_escape(mono)}':textfile='{_escape(str(code_file))}':x=w*0.06:"
              f"y='h*0.9-mod(t*{h // 18}\\,h*0.8)':fontsize=h/40:fontcolor=0xd4d4d4:line_spacing={max(2, h // 135)}"
              if mono else "")
    title = (f",drawtext=fontfile='{_escape(sans)}':text='avpipe - screen capture':x=w*0.58:y=h*0.6:"
             "fontsize=h/25:fontcolor=black" if sans else "")
    return (f"color=c=0xf4f4f4:s={w}x{h}:r={rate}[bg];life=s={w // 8}x{h // 8}:mold=10:r={rate}:ratio=0.1:seed=7:"
            f"death_color=#C83232:life_color=#2060d0,scale={w * 3 // 8}:{h * 3 // 8}:flags=neighbor[l];"
            f"[bg][l]overlay=x=W*0.58:y=H*0.12,drawbox=x=iw*0.04:y=ih*0.08:w=iw*0.5:h=ih*0.84:color=0x1e1e1e:t=fill"
            f"{editor}{title}")


def make_sources(ffmpeg: str, folder: Path, width: int, height: int, seconds: float, rate: int = 30
                 ) -> dict[str, Path]:
    """``{name: path}`` of the three sources, each made on first use."""
    folder.mkdir(parents=True, exist_ok=True)
    code = folder / "code.txt"
    code.write_text("\n".join(CODE * 8) + "\n", encoding="utf-8")
    graphs = {"talking_head": talking_head_graph(width, height, rate),
              "high_motion": high_motion_graph(width, height, rate),
              "screen": screen_graph(width, height, rate, code)}
    paths = {}
    for name in SOURCES:
        path = folder / f"{name}_r{REVISION}_{width}x{height}_{seconds:g}s.mp4"
        if not (path.is_file() and path.stat().st_size > 0):
            argv = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-filter_complex",
                    f"{graphs[name]},format=yuv420p,trim=duration={seconds:g}", "-c:v", "libx264", "-preset",
                    "veryfast", "-crf", "16", "-g", str(rate), "-profile:v", "high", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(path)]
            subprocess.run(argv, check=True)  # noqa: S603 - an argument list
        paths[name] = path
    return paths
