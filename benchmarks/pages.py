"""How heavy the lesson pages are, as a browser loads them: HTML bytes, bytes transferred, LCP.

Builds a temporary copy of the project (seeded with this checkout's executed lessons), serves
it on localhost and opens every lesson page in headless Chromium (Debian's, through
Playwright) at 1280 x 900 with an empty cache. Records per page the HTML size, the bytes of
every response the page needed, and the largest contentful paint. Targets (issue #18): lesson
HTML <= 300 KB, the heaviest lesson <= 1.5 MB transferred. python's http.server sends no
gzip, so the transfer figures are uncompressed sizes (a real host compresses CSS and HTML).
Writes benchmarks/results/pages.json.

    python benchmarks/pages.py
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import platform
import shutil
import tempfile
import threading
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from project import ROOT, build, copy_project  # benchmarks/project.py
from targets import check  # benchmarks/targets.py

LCP = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: 'largest-contentful-paint', buffered: true});
  setTimeout(() => resolve(null), 3000);
})"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def measure(site: Path, paths: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for path in paths:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            sizes = []
            page.on("requestfinished", lambda request: sizes.append(request.sizes()["responseBodySize"]))
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load too
            page.wait_for_load_state("networkidle")
            lcp = page.evaluate(LCP)
            html = (site / path.strip("/") / "index.html").stat().st_size
            results[path] = {"html_bytes": html, "transferred_bytes": sum(sizes), "requests": len(sizes),
                             "largest_contentful_paint_ms": round(lcp) if lcp is not None else None}
            context.close()
        browser.close()
    server.shutdown()
    return results


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        copy_project(project, with_cache=True)
        build(project)
        site = project / "site"
        paths = sorted("/" + p.parent.relative_to(site).as_posix() + "/" for p in site.glob("lessons/*/*/index.html"))
        pages = measure(site, paths)
    heaviest = max(pages, key=lambda p: pages[p]["transferred_bytes"])
    largest_html = max(pages, key=lambda p: pages[p]["html_bytes"])
    result = {
        "pages": pages,
        "checks": [
            check("largest lesson page HTML (bytes)", pages[largest_html]["html_bytes"], "<=", 300_000,
                  note=largest_html),
            check("heaviest lesson page, bytes transferred uncompressed, empty cache",
                  pages[heaviest]["transferred_bytes"], "<=", 1_500_000, note=heaviest),
        ],
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version()},
    }
    out = ROOT / "benchmarks" / "results" / "pages.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["checks"], indent=2))


if __name__ == "__main__":
    main()
