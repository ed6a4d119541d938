"""The widget's loader size (gzip) and, in headless Chromium, the time from the launcher click
to the first question shown; beside a page whose button opens a static iframe."""

from __future__ import annotations

import gzip
import statistics
import time
import urllib.request
from pathlib import Path

from bench.report import Figure, out, percentile
from bench.servers import baton_argv, free_port, run_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
BASELINE_PAGE = """<!doctype html><html><body>
<button data-baton-launcher="demo" onclick="var f = document.createElement('iframe');
f.setAttribute('data-baton-frame', 'demo');
f.srcdoc = '<div class=&quot;bubble bot&quot;>First, what is your name?</div>';
document.body.appendChild(f)">Chat</button></body></html>"""


def _click_to_question(page: object, load: object, runs: int) -> list[float]:
    """Milliseconds from the launcher click to the first bot bubble, `runs` fresh loads."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    timings: list[float] = []
    for _ in range(runs):
        load()  # type: ignore[operator]
        launcher = page.locator("[data-baton-launcher='demo']")
        launcher.wait_for(state="visible")
        frame = page.frame_locator("iframe[data-baton-frame='demo']")
        began = time.perf_counter()
        launcher.click()
        frame.locator(".bubble.bot").first.wait_for(state="visible")
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def measure(tmp: Path, *, runs: int) -> list[Figure]:
    port = free_port()
    env = {"BATON_DATABASE_URL": f"sqlite:///{tmp}/widget.db"}
    figures: list[Figure] = []
    with run_server(baton_argv(port, 1), port=port, env=env, log=tmp / "baton.log") as server:
        with urllib.request.urlopen(f"{server.url}/widget.js") as answer:
            loader = answer.read()
        packed = len(gzip.compress(loader, compresslevel=9))
        out(f"loader /widget.js: {len(loader)} bytes, {packed} bytes gzipped (level 9)")
        figures.append(
            Figure(
                name="widget loader size",
                value=f"{packed / 1024:.2f} KiB gzipped ({len(loader) / 1024:.1f} KiB raw)",
                goal="<= 5 KB gzipped",
                met=packed <= 5 * 1024,
            )
        )
        if not CHROMIUM.exists():
            out(f"  {CHROMIUM} not found: click-to-question timing skipped")
            return figures
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:

                def fresh(url: str | None) -> tuple[object, object]:
                    context = browser.new_context(viewport={"width": 1024, "height": 800})
                    page = context.new_page()

                    def load() -> None:
                        context.clear_cookies()
                        page.evaluate("() => { try { localStorage.clear(); } catch (e) {} }")
                        if url is None:
                            page.set_content(BASELINE_PAGE)
                        else:
                            page.goto(url)

                    return page, load

                page, load = fresh(None)
                _click_to_question(page, load, 2)  # warm-up
                base = _click_to_question(page, load, runs)
                page, load = fresh(server.url + "/")
                _click_to_question(page, load, 2)
                baton = _click_to_question(page, load, runs)
            finally:
                browser.close()
    b50, b90 = statistics.median(baton), percentile(baton, 90)
    s50 = statistics.median(base)
    out(
        f"  launcher click -> first question: Baton median {b50:.0f} ms, p90 {b90:.0f} ms;"
        f" static iframe median {s50:.0f} ms ({runs} clicks each)"
    )
    figures.append(
        Figure(
            name="widget click -> first question (Chromium)",
            value=f"median {b50:.0f} ms, p90 {b90:.0f} ms (static iframe {s50:.0f} ms)",
            goal="(measured; no numeric goal)",
            ratio=b50 / s50 if s50 else None,
        )
    )
    return figures
