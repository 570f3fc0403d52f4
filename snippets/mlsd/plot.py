"""One plot style and one way to save figures: a light and a dark SVG per figure.

`save` writes deterministic SVGs (fixed hash salt, no date) into the folder named by the
environment variable MLSD_FIGURE_DIR, which the site build sets, or into ./figures when a reader
runs a snippet by hand. Next to the SVGs it records the alt text and caption the page shows.
"""

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen needed; must come before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402

# Colours chosen to read on both a white and a near-black page (Okabe-Ito palette).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
THEMES = {
    "light": {"ink": "#1f1f1f", "grid": "#d0d0d0"},
    "dark": {"ink": "#e3e3e3", "grid": "#4a4a4a"},
}

plt.rcParams.update(
    {
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "figure.figsize": (7.0, 4.0),
        "font.family": "sans-serif",
        "font.size": 11,
        "legend.frameon": False,
        "lines.linewidth": 2.0,
        "savefig.transparent": True,
        "svg.fonttype": "none",  # keep text as text: smaller files, selectable, page fonts
        "svg.hashsalt": "mlsd",  # stable element ids, so the same figure gives the same bytes
    }
)


def figure_dir() -> Path:
    return Path(os.environ.get("MLSD_FIGURE_DIR", "figures"))


def _apply_theme(fig, theme: str) -> None:
    """Recolour text, axes and grid in place; data colours stay the same in both themes."""
    ink, grid = THEMES[theme]["ink"], THEMES[theme]["grid"]
    for text in fig.findobj(matplotlib.text.Text):
        text.set_color(ink)
    for ax in fig.axes:
        for spine in ax.spines.values():
            spine.set_edgecolor(ink)
        ax.tick_params(colors=ink, which="both")
        ax.grid(True, color=grid, linewidth=0.6)


def save(fig, name: str, alt: str, caption: str = "") -> list[Path]:
    """Save `fig` as NAME.light.svg and NAME.dark.svg and record its alt text and caption.

    `alt` describes what the figure shows for readers who cannot see it; `caption` says what to
    notice. Both are required to be plain text (no Markdown).
    """
    if not alt.strip():
        raise ValueError(f"figure {name!r} needs alt text")
    out = figure_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for theme in THEMES:
        _apply_theme(fig, theme)
        path = out / f"{name}.{theme}.svg"
        fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
        paths.append(path)
    meta_path = out / "figures.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    meta[name] = {"alt": alt.strip(), "caption": caption.strip()}
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    plt.close(fig)
    return paths
