"""How heavy the lesson pages are, as a browser loads them: HTML bytes, bytes transferred, LCP.

Builds a temporary copy of the project (seeded with this checkout's executed lessons), serves
it on localhost and opens every lesson page in headless Chromium (Debian's, through
Playwright) at 1280 x 900 with an empty cache, scrolled to the end so lazy images load too.
Records per page the HTML size, the bytes transferred for every response the page needed, the
same responses uncompressed, and the largest contentful paint. The server compresses text
(HTML, CSS, JS, JSON, SVG) with gzip when the browser asks, as GitHub Pages and any static
host do; images go as they are. Targets (issue #18): lesson HTML <= 300 KB, the heaviest lesson
<= 1.5 MB transferred. Writes benchmarks/results/pages.json.

    python benchmarks/pages.py
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import json
import os
import platform
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

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


COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".map", ".txt", ".md", ".ipynb"}


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """Files as a static host serves them: text gzipped when the browser accepts it."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix not in COMPRESSED or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def _file_size(site: Path, url: str) -> int:
    """The size on disk of what ``url`` served (its uncompressed size)."""
    path = site / unquote(urlparse(url).path).lstrip("/")
    path = path / "index.html" if path.is_dir() else path
    return path.stat().st_size if path.is_file() else 0


def measure(site: Path, paths: list[str]) -> dict:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(StaticHost, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for path in paths:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            sizes, plain = [], []

            def finished(request, sizes=sizes, plain=plain):
                try:
                    sent = request.sizes()["responseBodySize"]  # as sent: gzipped text
                except PlaywrightError:  # finished as the page closed, after the measurement
                    return
                sizes.append(sent)
                plain.append(_file_size(site, request.url))

            page.on("requestfinished", finished)
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load too
            page.wait_for_load_state("networkidle")
            lcp = page.evaluate(LCP)
            page.remove_listener("requestfinished", finished)
            html = (site / path.strip("/") / "index.html").stat().st_size
            results[path] = {"html_bytes": html, "transferred_bytes": sum(sizes),
                             "uncompressed_bytes": sum(plain), "requests": len(sizes),
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
            check("heaviest lesson page, bytes transferred (gzip for text, as a static host), empty cache",
                  pages[heaviest]["transferred_bytes"], "<=", 1_500_000,
                  note=f"{heaviest}; {pages[heaviest]['uncompressed_bytes']:,} bytes uncompressed"),
        ],
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version()},
    }
    out = ROOT / "benchmarks" / "results" / "pages.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["checks"], indent=2))


if __name__ == "__main__":
    main()
