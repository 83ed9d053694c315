"""The HTML pages in a real headless Chromium: they render (map tiles, the QR code),
the screenshot is not blank, the console stays silent (no CSP violation, no error),
and nothing points outside the page.

Needs Debian's ``chromium``; .ci/run installs it and sets SECXFER_REQUIRE_AGE, under
which a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from secxfer.report.keyform import write_key_form
from secxfer.report.status_page import write_status_page
from secxfer.trust.cards import generate_key_files

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=1"]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("SECXFER_REQUIRE_AGE"):
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    return found


def _browse(chromium: str, page: Path, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120, check=True)


def _console(stderr: str) -> list[str]:
    """Console messages and CSP reports in Chromium's log (a page without scripts logs none)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Content Security Policy" in line]


def _pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the filtered scanlines of a PNG (enough to tell a blank image)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width, height = 8, b"", 0, 0
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", data[:8])
        elif kind == b"IDAT":
            idat += data
        at += 12 + length
    return width, height, zlib.decompress(idat)


def _check(chromium: str, page: Path, tmp_path: Path) -> str:
    dom = _browse(chromium, page, "--dump-dom")
    assert _console(dom.stderr) == []
    assert not re.search(r"https?://", dom.stdout), "the page points outside itself"
    shot = tmp_path / f"{page.stem}.png"
    done = _browse(chromium, page, "--window-size=1280,1000", f"--screenshot={shot}")
    assert _console(done.stderr) == []
    width, height, raw = _pixels(shot.read_bytes())
    assert (width, height) == (1280, 1000)
    # A blank page compresses to a few distinct bytes; a rendered one has text, tiles and lines.
    assert len(set(raw)) > 64 and raw.count(b"\xff" * 64) * 64 < len(raw) * 0.9
    return dom.stdout


@pytest.fixture(scope="module")
def status_page(tmp_path_factory) -> Path:
    from tests.test_html_status import _status

    from secxfer.ledger.reconcile import Problem

    target = tmp_path_factory.mktemp("pages") / "status.html"
    write_status_page(_status(problems=[Problem("open", "no-receipt", "mun-141003", "no receipt yet")]), target)
    return target


def test_the_status_page_renders_in_chromium(chromium, status_page, tmp_path):
    dom = _check(chromium, status_page, tmp_path)
    assert len(re.findall(r'class="tile[ "]', dom)) == 47
    assert 'id="federations"' in dom and "国保中央会への提出期限" in dom


def test_the_key_form_renders_in_chromium(chromium, tmp_path):
    _, card, _ = generate_key_files("fed-13", tmp_path, passphrase=None, test_key=True,
                                    now=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
    dom = _check(chromium, write_key_form(card, tmp_path / "form.html"), tmp_path)
    assert dom.count('class="group"') == 5 and "担当者 氏名" in dom
    assert re.search(r'<svg[^>]*class="segno"', dom)


def test_a_page_that_reaches_outside_is_caught(chromium, tmp_path):
    # The check itself: a page with an external image logs a CSP violation and shows a URL.
    page = tmp_path / "bad.html"
    page.write_text(status_page_source().replace("</body>", '<img src="https://example.invalid/x.png"></body>'),
                    encoding="utf-8")
    dom = _browse(chromium, page, "--dump-dom")
    assert any("Content Security Policy" in line for line in _console(dom.stderr))
    assert re.search(r"https?://", dom.stdout)


def status_page_source() -> str:
    from tests.test_html_status import _status

    from secxfer.report.status_page import render_status_page

    return render_status_page(_status())
