"""PDF through headless Chromium's print-to-PDF: the same HTML, laid out by its print CSS.

Chromium is not a Python dependency: it is found on the PATH (``chromium``,
``chromium-browser``, ``google-chrome``) or named by ``$FREECOST_CHROMIUM``. On Debian and
Ubuntu, ``apt-get install chromium`` provides it. The report is self-contained, and Chromium
runs with a throw-away profile and with networking features off, so printing fetches nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from freecost.errors import FreecostError

CHROMIUM_ENV = "FREECOST_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0
"""Seconds Chromium may take to print one report."""


class PdfError(FreecostError):
    """The PDF could not be made; the message says how to get a renderer."""


def find_chromium() -> str:
    """The Chromium binary to print with, or a PdfError saying how to install one."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        found = shutil.which(named)
        if found is None:
            raise PdfError(f"${CHROMIUM_ENV}: {named} is not an executable program")
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise PdfError(
        "--format pdf needs headless Chromium: install it (Debian/Ubuntu: apt-get install "
        f"chromium) or set ${CHROMIUM_ENV} to the browser's path"
    )


def html_to_pdf(html: str, out: Path, *, timeout: float = TIMEOUT) -> None:
    """Print ``html`` to ``out`` with headless Chromium."""
    binary = find_chromium()
    with tempfile.TemporaryDirectory(prefix="freecost-pdf-") as scratch:
        page = Path(scratch) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(scratch) / "report.pdf"
        command = [
            binary,
            "--headless",
            # Root in a container cannot use Chromium's sandbox; the page has no scripts.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={Path(scratch) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not print the report within {timeout:.0f} s") from None
        except OSError as exc:
            raise PdfError(f"cannot start {binary}: {exc.strerror or exc}") from None
        if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1][:200]
            raise PdfError(f"Chromium could not print the report (exit {done.returncode}): {last}")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, out)
        except OSError as exc:
            raise PdfError(f"{out}: cannot write the PDF: {exc.strerror or exc}") from None
