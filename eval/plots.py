"""PNG plots of the evaluation and the benchmarks (matplotlib, Agg backend, no display)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qmsgap.eval.metrics import Calibration


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def reliability_plot(result: Calibration, path: Path, title: str) -> Path:
    """Accuracy per confidence bin against the diagonal, with the bin counts below.

    Raises:
        OSError: the file cannot be written.
    """
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(5.5, 6.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    try:
        width = result.bins[0].upper - result.bins[0].lower if result.bins else 0.1
        lefts = [b.lower for b in result.bins]
        accs = [b.accuracy if b.accuracy is not None else 0.0 for b in result.bins]
        confs = [b.mean_confidence if b.mean_confidence is not None else 0.0 for b in result.bins]
        counts = [b.count for b in result.bins]
        top.bar(lefts, accs, width=width, align="edge", edgecolor="black", label="accuracy")
        top.bar(
            lefts,
            [c - a if n else 0.0 for a, c, n in zip(accs, confs, counts, strict=True)],
            bottom=accs,
            width=width,
            align="edge",
            color="none",
            edgecolor="red",
            hatch="//",
            label="gap to mean confidence",
        )
        top.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfect calibration")
        ece = "n/a" if result.ece is None else f"{result.ece:.3f}"
        top.set_title(f"{title}\nECE = {ece}")
        top.set_ylabel("accuracy of status")
        top.set_ylim(0, 1)
        top.legend(loc="upper left", fontsize="small")
        bottom.bar(lefts, counts, width=width, align="edge", edgecolor="black", color="gray")
        bottom.set_xlabel("confidence")
        bottom.set_ylabel("practices")
        bottom.set_xlim(0, 1)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def scaling_plot(
    series: Mapping[str, Sequence[tuple[float, float]]],
    path: Path,
    title: str,
    xlabel: str = "corpus size (copies of the sample QMS)",
    ylabel: str = "seconds",
) -> Path:
    """One line per series of ``(x, y)`` points, log-log, for time against corpus size.

    Raises:
        OSError: the file cannot be written.
    """
    plt = _pyplot()
    fig, axis = plt.subplots(figsize=(6.0, 4.2))
    try:
        for name, points in series.items():
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            axis.plot(xs, ys, marker="o", label=name)
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        ticks = sorted({x for points in series.values() for x, _ in points})
        axis.set_xticks(ticks, [f"{x:g}x" for x in ticks])
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        axis.set_title(title)
        axis.grid(True, which="both", linestyle=":")
        axis.legend(fontsize="small")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path
