"""Load the built site in headless Chromium, as a reader would.

Chromium comes from Debian (`make setup` installs it as root); Playwright drives it through
`executable_path`, so no browser is ever downloaded. Without Chromium these tests skip,
except in CI, where they must run.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest
from conftest import IN_CI, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if IN_CI:
            pytest.fail("CI needs Debian's chromium for the browser tests (make setup installs it)")
        pytest.skip("chromium is not installed: sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, served_site):
    """A fresh page that records every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    hosts = {urlparse(u).hostname for u in page.requested if not u.startswith(("data:", "blob:"))}
    context.close()
    assert hosts <= {"127.0.0.1"}, f"requests left 127.0.0.1: {sorted(hosts)}"


def test_lesson_page_renders_outputs_plot_and_folded_solutions(page, served_site):
    page.goto(f"{served_site}/lessons/pytorch/tensors/")
    page.wait_for_load_state("networkidle")
    assert "Tensors" in page.title()
    assert page.locator(".jp-OutputArea-output").count() > 5
    plot = page.locator(".jp-OutputArea-output img").first
    plot.scroll_into_view_if_needed()  # plots load lazily, when they come into view
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=plot.element_handle())
    solutions = page.locator("details.solution")
    assert solutions.count() >= 1
    assert solutions.first.get_attribute("open") is None  # collapsed by default
    page.locator(".katex").first.wait_for()  # maths rendered by the vendored KaTeX (loaded on demand)


def test_katex_is_fetched_only_by_pages_with_maths(page, served_site):
    page.goto(f"{served_site}/reference/cli/")  # no formula on this page
    page.wait_for_load_state("networkidle")
    assert not [u for u in page.requested if "/katex/" in u]
    page.goto(f"{served_site}/glossary/sigmoid/")
    page.locator(".katex").first.wait_for()
    assert [u for u in page.requested if u.endswith("katex.min.js")]


def test_glossary_page_renders_with_its_example(page, served_site):
    page.goto(f"{served_site}/glossary/dropout/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().startswith("Dropout")
    assert page.locator("pre", has_text="nn.Dropout(p=0.25)").count() == 1
    assert "zero each unit" in page.locator(".glossary-summary").inner_text()   # the summary under the title


def test_search_finds_a_glossary_term(page, served_site):
    page.goto(f"{served_site}/?q=dropout")  # Material opens search with the query filled in
    first = page.locator(".md-search-result__item a").first
    first.wait_for(timeout=20_000)
    assert "/glossary/dropout/" in first.get_attribute("href")


@pytest.mark.parametrize("path", ["/lessons/pytorch/tensors/", "/glossary/dropout/"])
def test_pages_fit_a_phone_screen(browser, served_site, path, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(served_site + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / "phone.png"))  # kept by pytest's tmp_path for a look
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    # Wide code and outputs must scroll inside their own box instead of widening the page.
    wide_cells = page.evaluate("""() => [...document.querySelectorAll('pre, .jp-OutputArea-output, table')]
        .filter(el => el.scrollWidth > el.clientWidth + 1)
        .filter(el => !['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
                      && !el.closest('.md-typeset__scrollwrap, .jp-OutputArea-output, .highlight, pre'))
        .length""")
    context.close()
    assert overflow <= 1, f"{path}: the page is {overflow}px wider than a 390px phone screen"
    assert wide_cells == 0, f"{path}: {wide_cells} wide blocks overflow instead of scrolling"


# --- Reading the site (issue #18) -------------------------------------------------------------

AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
AUDITED = ["/", "/lessons/pytorch/tensors/", "/glossary/", "/glossary/dropout/"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", AUDITED)
def test_no_serious_accessibility_violations(browser, served_site, path, scheme):
    if not AXE.is_file():
        if IN_CI:
            pytest.fail(f"CI needs axe-core ({AXE}); make setup installs it from the npm registry")
        pytest.skip("axe-core is not installed: make setup")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(served_site + path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    context.close()
    serious = [f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']}; e.g. {v['nodes'][0]['target']}"
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{path} in {scheme} mode:\n" + "\n".join(serious)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_plots_fit_inside_the_page_column(browser, served_site, scheme):
    # A wide figure is scaled down to the column; in dark mode its white card (padding) too.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{served_site}/lessons/cnn/colour-images/")
    page.wait_for_load_state("networkidle")
    overflowing = page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output img')]
        .filter(img => img.getBoundingClientRect().right > img.closest('.jp-OutputArea').getBoundingClientRect().right + 1)
        .map(img => img.getAttribute('src'))""")
    context.close()
    assert not overflowing, f"{scheme}: plots wider than the column: {overflowing}"


def test_code_cells_show_their_code_whole_on_a_desktop(browser, served_site):
    # At 1280 x 900, no lesson code cell may need horizontal scrolling: code cut off at the
    # right edge is code a reader does not see.
    from conftest import lesson_sources

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    cut = []
    for lesson in lesson_sources():
        path = "/" + lesson.relative_to(ROOT / "docs").with_suffix("").as_posix() + "/"
        page.goto(served_site + path)
        page.wait_for_load_state("domcontentloaded")
        cut += [f"{path}: {line}" for line in page.evaluate("""() => [...document.querySelectorAll(
                '.jp-InputArea-editor pre')].filter(pre => pre.scrollWidth > pre.clientWidth + 1)
                .map(pre => pre.innerText.split('\\n').reduce((a, b) => b.length > a.length ? b : a, ''))""")]
    context.close()
    assert not cut, f"{len(cut)} code cells are wider than the page; their longest lines:\n" + "\n".join(cut)


def test_glossary_term_pages_are_in_the_glossary_navigation(page, served_site):
    page.goto(f"{served_site}/glossary/dropout/")
    page.wait_for_load_state("networkidle")
    sidebar = page.locator(".md-sidebar--primary")
    terms = sidebar.locator("a.md-nav__link").evaluate_all("els => els.map(e => e.href)")
    assert sum("/glossary/" in href for href in terms) > 100, "the side menu lists the terms"
    assert "Dropout" in sidebar.locator(".md-nav__link--active").last.inner_text()
    crumbs = page.locator(".md-path a").evaluate_all("els => els.map(e => e.href)")
    assert f"{served_site}/glossary/" in crumbs, "a breadcrumb leads back to the index"
    previous_next = page.locator("a.md-footer__link").evaluate_all("els => els.map(e => e.href)")
    assert len(previous_next) == 2 and all("/glossary/" in href for href in previous_next), previous_next
    with page.expect_navigation():
        page.locator("a.md-footer__link--next").click()
    assert "/glossary/" in page.url and "/glossary/dropout/" not in page.url


def test_copy_button_copies_runnable_code_without_prompts_or_outputs(browser, served_site):
    import subprocess
    import sys

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served_site)
    page = context.new_page()
    page.goto(f"{served_site}/glossary/dropout/")
    page.wait_for_load_state("networkidle")
    page.locator("button.md-code__button[data-md-type='copy']").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    context.close()
    assert "drop = nn.Dropout(p=0.25)" in copied
    assert ">>>" not in copied and "..." not in copied and "\nTrue" not in copied, copied
    result = subprocess.run([sys.executable, "-c", copied], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_first_use_of_a_term_shows_its_summary_and_a_tap_opens_its_page(browser, served_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{served_site}/lessons/pytorch/validation/")
    page.wait_for_load_state("networkidle")
    links = page.locator("a.glossary-term")
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs and len(hrefs) == len(set(hrefs)), "each term linked once, at its first use"
    first = links.first
    summary = first.get_attribute("title")
    first.hover()
    tooltip = page.locator(".md-tooltip2--active")
    tooltip.first.wait_for(timeout=10_000)
    assert summary[:40] in tooltip.first.inner_text()
    context.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(f"{served_site}/lessons/pytorch/validation/")
    page.wait_for_load_state("networkidle")
    term = page.locator("a.glossary-term").first
    term.scroll_into_view_if_needed()
    with page.expect_navigation():
        term.tap()
    assert "/glossary/" in page.url, "on a phone, where hover does nothing, the first use leads to the term"
    phone.close()
