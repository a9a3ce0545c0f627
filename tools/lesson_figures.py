"""Describe every matplotlib figure a lesson shows, so its image on the site gets real alt text.

Loaded into the build's lesson kernels only (``--IPKernelApp.exec_lines``, tools/lesson_env.py).
It gives ``matplotlib.figure.Figure`` a plain-text form read off the figure itself: its
title, each panel's title, axis labels and legend entries. A notebook stores that text beside
the PNG; tools/pages.py turns it into the image's ``alt`` attribute. A learner's own Jupyter
shows the usual ``<Figure size ... with N Axes>`` instead; nothing else changes.
"""

from __future__ import annotations

MAX_PANELS = 6  # an image grid of 24 panels is described by its first few titles
MAX_LENGTH = 400


def _panel(ax) -> str:
    bits = []
    if ax.get_title():
        bits.append(ax.get_title())
    x, y = ax.get_xlabel(), ax.get_ylabel()
    if x or y:
        bits.append(f"{y or 'values'} against {x or 'position'}")
    legend = ax.get_legend()
    if legend is not None:
        labels = [t.get_text() for t in legend.get_texts() if t.get_text()]
        if labels:
            bits.append("lines: " + ", ".join(labels))
    return "; ".join(bits)


def describe(fig) -> str:
    """``"Figure: <title>. <panel>. ..."``, or matplotlib's own repr when nothing is labelled."""
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    texts = [t for t in (_panel(ax) for ax in panels) if t]
    parts = [suptitle] if suptitle else []
    if len(texts) > MAX_PANELS:
        parts.append(f"{len(panels)} panels, the first titled " + ", ".join(texts[:MAX_PANELS]) + ", ...")
    else:
        parts += texts
    if not parts:
        return repr(fig)
    text = ". ".join(parts)
    return "Figure: " + (text if len(text) <= MAX_LENGTH else text[:MAX_LENGTH - 3] + "...")


def _register() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:  # by name: matplotlib is imported only if the lesson imports it
        shell.display_formatter.formatters["text/plain"].for_type_by_name(
            "matplotlib.figure", "Figure", lambda fig, printer, cycle: printer.text(describe(fig)))


_register()
