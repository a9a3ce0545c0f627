"""Describe every matplotlib figure a lesson shows, so its image on the site gets real alt text.

Loaded into the build's lesson kernels only: their start-up runs
``import learntorch_lesson_figures as f; f.register(get_ipython())`` (tools/lesson_env.py).
It gives ``matplotlib.figure.Figure`` a plain-text form read off the figure itself: its
title, each panel's title, axis labels and legend entries. A notebook stores that text beside
the PNG; tools/pages.py turns it into the image's ``alt`` attribute. A learner's own Jupyter
shows the usual ``<Figure size ... with N Axes>`` instead; nothing else changes.
"""

from __future__ import annotations

MAX_PANELS = 6  # an image grid of 24 panels is described by its first few titles
MAX_LENGTH = 400


def _panel(ax) -> str:
    bits = [title for loc in ("center", "left", "right") if (title := ax.get_title(loc=loc))]
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


def register(shell) -> None:
    """Describe figures in ``shell`` (the kernel's IPython shell).

    Registered by name, so matplotlib is imported only if the lesson imports it. IPython
    drops every Figure printer when matplotlib's inline backend starts (``pylabtools.
    select_figure_formats``, run on the first ``import matplotlib.pyplot``), so the printer is
    put back each time that runs, and after every cell.
    """
    from IPython.core import pylabtools

    def describe_figures(*args, **kwargs):
        shell.display_formatter.formatters["text/plain"].for_type_by_name(
            "matplotlib.figure", "Figure", lambda fig, printer, cycle: printer.text(describe(fig)))

    select = pylabtools.select_figure_formats

    def select_then_describe(*args, **kwargs):
        select(*args, **kwargs)
        describe_figures()

    pylabtools.select_figure_formats = select_then_describe
    shell.events.register("post_execute", describe_figures)
    describe_figures()
