"""The quality case's rate-quality chart: one PNG per source, drawn with matplotlib.

matplotlib (in the ``bench`` extra, headless Agg backend) is the maintained tool for the job:
a log-bitrate axis, labelled ticks, a legend and anti-aliased lines, none of which is worth
writing here. Each ladder is one line with a marker per rung, in the order the curves come.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

COLOURS = ("tab:red", "tab:blue", "tab:green", "tab:purple")
LABELS = {"avpipe": "avpipe", "peertube": "PeerTube default", "aws_vod": "AWS VOD (QVBR)"}


def _minor_label(value: float, _pos: int) -> str:
    """Label the 200s and 500s between the decades; the rest stay bare ticks."""
    text = f"{value:g}"
    return text if text[0] in "25" else ""


def write_plot(path: Path, curves: Mapping[str, Sequence[tuple[float, float]]], title: str = "") -> Path:
    """Draw each named curve of (bit/s, VMAF) points into the PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter

    figure, axes = pyplot.subplots(figsize=(6.4, 4.2), dpi=100)
    try:
        for colour, (name, points) in zip(COLOURS, curves.items(), strict=False):
            ordered = sorted(points)
            axes.plot([r / 1000 for r, _ in ordered], [q for _, q in ordered], marker="o", color=colour,
                      label=LABELS.get(name, name))
        axes.set_xscale("log")
        plain = FuncFormatter(lambda value, _pos: f"{value:g}")  # 300, 1000, 2000: not 3x10^2
        axes.xaxis.set_major_formatter(plain)
        axes.xaxis.set_minor_formatter(FuncFormatter(_minor_label))
        axes.tick_params(axis="x", which="minor", labelsize=7)
        axes.set_xlabel("bitrate (kb/s, log scale)")
        axes.set_ylabel("VMAF (mean, at the source size)")
        axes.set_title(title)
        axes.grid(True, which="both", color="0.9")
        axes.legend(loc="lower right")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        pyplot.close(figure)
    return path
