"""The pieces that make lesson pages light: the notebook stylesheet trim and the plot images.

The built site is checked in test_site.py (sizes, links, search index); these check the rules.
"""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

sys.path.insert(0, str(ROOT / "tools"))
import notebook_css  # noqa: E402  (tools/notebook_css.py)
import pages  # noqa: E402  (tools/pages.py)

SHEET = """
@charset "UTF-8";
.jupyter-wrapper{--jp-used: 1px;--jp-feeds-used: red;--jp-chain: var(--jp-feeds-used);--jp-unread: 3px}
.jp-Cell{margin:var(--jp-used)}
.jp-Dialog{color:red}
.jp-Cell, .jp-Dialog-header{padding:0}
.jp-Cell:not(.jp-mod-selected){border:0}
[data-md-color-scheme=slate] .jp-Cell{color:var(--jp-chain)}
.jp-Menu .jp-Cell{display:none}
@media (max-width: 600px){.jp-Cell{padding:1px}.jp-Toolbar{padding:2px}}
@media print{.jp-Toolbar{display:none}}
@keyframes spin{to{transform:rotate(1turn)}}
pre{line-height:125%}
"""


def trimmed(classes: set[str], also_reading: str = "") -> str:
    return notebook_css.trim({"nb.css": SHEET}, classes, also_reading)["nb.css"]


def test_trim_keeps_the_rules_of_used_classes_and_drops_the_rest():
    css = trimmed({"jupyter-wrapper", "jp-Cell"})
    assert ".jp-Cell{margin:var(--jp-used)}" in css
    assert "pre{line-height:125%}" in css  # no class needed: kept
    assert ".jp-Dialog" not in css and ".jp-Menu" not in css and "jp-Toolbar" not in css
    assert ".jp-Cell{padding:0}" in css  # only the used selector of a selector list stays
    assert "@media (max-width: 600px){.jp-Cell{padding:1px}}" in css
    assert "@media print" not in css  # nothing left inside it
    assert "@keyframes spin" in css and '@charset "UTF-8"' in css


def test_classes_inside_not_and_attribute_selectors_are_not_required():
    css = trimmed({"jupyter-wrapper", "jp-Cell"})
    assert ".jp-Cell:not(.jp-mod-selected){border:0}" in css
    assert "[data-md-color-scheme=slate] .jp-Cell{color:var(--jp-chain)}" in css


def test_custom_properties_stay_only_while_something_reads_them():
    css = trimmed({"jupyter-wrapper", "jp-Cell"})
    assert "--jp-used:" in css and "--jp-chain:" in css
    assert "--jp-feeds-used:" in css  # read by --jp-chain, which a kept rule reads
    assert "--jp-unread" not in css
    assert "--jp-unread:" in trimmed({"jupyter-wrapper", "jp-Cell"}, also_reading="a{b:var(--jp-unread)}")
    alone = trimmed({"jupyter-wrapper"})  # nothing reads the properties: the rule goes
    assert "--jp" not in alone and ".jupyter-wrapper" not in alone


def test_page_classes_reads_every_class_attribute():
    html = '<div class="jp-Cell jp-CodeCell"><span class="kn">import</span></div><p class="">x</p>'
    assert notebook_css.page_classes([html]) == {"jp-Cell", "jp-CodeCell", "kn"}


def test_trim_on_the_site_renames_sheets_and_relinks_pages(tmp_path):
    folder = tmp_path / "assets" / "notebook"
    folder.mkdir(parents=True)
    (folder / "aaaaaaaaaaaa.css").write_text(SHEET)
    (folder / "bbbbbbbbbbbb.css").write_text(".jp-Mermaid{display:none}")  # unused entirely
    page = tmp_path / "lessons" / "p" / "index.html"
    page.parent.mkdir(parents=True)
    links = ('<link rel="stylesheet" href="../../assets/notebook/aaaaaaaaaaaa.css">'
             '<link rel="stylesheet" href="../../assets/notebook/bbbbbbbbbbbb.css">')
    page.write_text(f'<html><head>{links}</head><body><div class="jupyter-wrapper jp-Cell"></div></body></html>')
    (folder / "cccccccccccc.css").write_text(".jp-Other{}")  # linked by a page not rebuilt (--dirty)
    sizes = pages.trim_shared_stylesheets(tmp_path, [page])
    (name,) = sizes
    assert sorted(p.name for p in folder.iterdir()) == sorted([name, "cccccccccccc.css"])
    text = page.read_text()
    assert f'href="../../assets/notebook/{name}"' in text and "bbbbbbbbbbbb" not in text
    assert "--jp-unread" not in (folder / name).read_text()


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def test_plots_become_lossless_webp():
    pixels = np.full((60, 80, 3), 255, np.uint8)
    pixels[20:40, 10:70] = (31, 119, 180)  # matplotlib's blue: few colours, like a plot
    web, size = pages._figure(_png(pixels), cache=None)
    image = Image.open(io.BytesIO(web))
    assert image.format == "WEBP" and size == (80, 60)
    assert np.array_equal(np.asarray(image.convert("RGB")), pixels)


def test_photographs_become_smaller_lossy_webp_and_are_cached(tmp_path):
    from skimage import data as photos

    pixels = photos.astronaut()[::2, ::2]  # 256 x 256, tens of thousands of colours
    png = _png(pixels)
    web, _ = pages._figure(png, cache=tmp_path)
    image = Image.open(io.BytesIO(web))
    assert image.format == "WEBP" and len(web) < len(png) / 2
    assert np.abs(np.asarray(image.convert("RGB"), float) - pixels).mean() < 4  # close, not equal
    (cached,) = tmp_path.iterdir()
    assert cached.read_bytes() == web
    cached.write_bytes(b"from the cache")
    assert pages._figure(png, cache=tmp_path)[0] == b"from the cache"  # not converted again


@pytest.mark.parametrize("bad", [b"", b"not an image"])
def test_a_broken_image_output_says_so(bad):
    with pytest.raises(Exception, match="cannot identify image file"):
        pages._figure(bad, cache=None)


CELL = """\
<h1 id="demo">Demo</h1>
<p>Prose a learner searches for.</p>
<div class="jp-Cell jp-CodeCell"><div class="highlight"><pre>print("code a learner searches for")</pre></div>
<div class="zeroclipboard-container"><clipboard-copy for="cell-1"><div>Copy</div><div>Copied!</div></clipboard-copy></div>
<div class="clipboard-copy-txt" id="cell-1">print("the copy button's copy of the code")</div>
<div class="jp-Cell-outputWrapper">
<div class="jp-OutputArea jp-Cell-outputArea">
<div class="jp-OutputArea-child"><div class="jp-RenderedText"><pre>first output of the cell</pre></div></div>
<div class="jp-OutputArea-child"><div class="jp-RenderedText"><pre>second <span class="ansi-red-fg">output</span> of the cell</pre></div></div>
<div class="jp-OutputArea-child"><div class="jp-RenderedHTMLCommon"><div><style>.x > td {color: red}</style>
<table><tr><td>a table <b>output</b></td></tr></table></div></div></div>
</div></div></div>
<p>More prose after the cell.</p>
"""


def _indexed(page: str) -> str:
    """The text Material's search plugin indexes for ``page``."""
    from material.plugins.search.plugin import Parser

    parser = Parser()
    parser.feed(page)
    parser.close()
    return " ".join("".join(section.title + section.text) for section in parser.data)


def test_search_indexes_prose_and_code_but_no_output_and_no_copy():
    assert "second output of the cell" in _indexed(CELL)  # Material indexes outputs by itself
    text = _indexed(pages.outside_search(CELL))
    for wanted in ("Demo", "Prose a learner searches for.", "code a learner searches for", "More prose after the cell."):
        assert wanted in text
    for unwanted in ("Copied!", "the copy button's copy", "first output", "second", "table"):
        assert unwanted not in text, f"{unwanted!r} is indexed: {text}"
    # Marking only the block (what the site did) let every output after the first through.
    outer_only = CELL.replace('<div class="jp-OutputArea ', '<div data-search-exclude class="jp-OutputArea ')
    assert "second output of the cell" in _indexed(outer_only)


def test_marking_changes_nothing_but_the_marks_inside_the_blocks():
    marked = pages.outside_search(CELL)
    assert marked.replace(pages.EXCLUDE, "") == CELL
    for kept in ('<h1 id="demo">', "<p>", '<div class="jp-Cell jp-CodeCell">', '<div class="highlight"><pre>',
                 '<div class="jp-Cell-outputWrapper">'):
        assert kept in marked  # outside the blocks: not marked
    assert marked.count(pages.EXCLUDE) == 20  # the three blocks and each element inside (<style> is never indexed)
