"""The two figures of `detector eval`, drawn with matplotlib (Agg, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detector.errors import require


def write_plots(result: dict[str, Any], out_dir: Path) -> list[Path]:
    matplotlib = require("matplotlib", "pip install 'restroom-camera-detector[sim]'")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []

    curve = [p for p in result["curve"] if p["recall"] is not None]
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    xs = [p["false_alerts_per_sweep"] for p in curve]
    ys = [p["recall"] for p in curve]
    ax.plot(xs, ys, "o-", color="#1f5fa8", markersize=4)
    span = max(xs + [0.1]) - min(xs + [0.0])
    labelled: list[tuple[float, float]] = []
    for p in curve:  # label thresholds where points do not crowd each other
        here = (p["false_alerts_per_sweep"] / span, p["recall"])
        if all(abs(here[0] - a) > 0.06 or abs(here[1] - b) > 0.04 for a, b in labelled):
            labelled.append(here)
            ax.annotate(f"{p['threshold']:.2f}", (p["false_alerts_per_sweep"], p["recall"]),
                        textcoords="offset points", xytext=(4, -11), fontsize=7, color="#555")
    t = result["totals"]
    if t["recall"] is not None:
        ax.plot([t["false_alerts_per_sweep"]], [t["recall"]], "*", color="#c0392b",
                markersize=12, label=f"configured threshold {result['threshold']:.2f}")
        ax.legend(loc="lower right", fontsize=8)  # no legend without cameras to recall
    ax.axhline(0.97, color="#888", lw=0.8, ls="--")
    ax.axvline(0.1, color="#888", lw=0.8, ls="--")
    ax.set_xlabel("false alerts per sweep")
    ax.set_ylabel("recall of exposed cameras")
    ax.set_title(f"Lens detection: confirmation threshold varied ({t['sweeps']} sweeps)")
    ax.set_ylim(max(0.0, min(ys + [1.0]) - 0.1), 1.01)
    ax.set_xlim(left=-0.02 * span)
    ax.text(0.01, 0.02, "point labels: confirmation threshold", transform=ax.transAxes,
            fontsize=7, color="#555")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out_dir / "eval-threshold-curve.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)

    bands = result["distance_bands"]
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    labels = [f"{b['band_m'][0]:g}-{b['band_m'][1]:g} m" for b in bands]
    values = [b["recall"] or 0.0 for b in bands]
    bars = ax.bar(labels, values, color="#2e8b57")
    for bar, b in zip(bars, bands, strict=True):
        ax.annotate(f"{b['detected']}/{b['cameras_exposed']}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    textcoords="offset points", xytext=(0, 3), ha="center", fontsize=9)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("recall")
    ax.set_xlabel("median device-to-lens distance while exposed")
    ax.set_title("Lens detection: recall by distance band")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = out_dir / "eval-distance-bands.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)
    return paths
