"""The report in a real browser: Debian's Chromium driven by Playwright (never a
downloaded browser). The page loads offline with no console error and no request but
the file itself; every section and image is there and decoded; a screenshot is not
blank; printed to PDF on A4 and Letter, no figure or table is cut across pages and
every page is numbered; the pages are rendered to PNG (in $CI_ARTIFACTS, else
tests/artifacts/) for a person to look at.

Without Chromium these tests are skipped, except in CI (CI=true), where they fail:
.ci/run installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_helpers import (
    HOSTILE_NAME,
    scenario_paths,
    scenarios,
    small_comparison,
    small_responsibility,
)

from cxsim.interfaces import report
from cxsim.interfaces.report import SECTIONS, report_sections, write_report

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic"]
ARTIFACTS = Path(os.environ.get("CI_ARTIFACTS")
                 or Path(__file__).resolve().parent / "artifacts")
#: Paper sizes in millimetres.
PAPERS = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
PX_PER_MM = 96 / 25.4
PT_PER_MM = 72 / 25.4


def _require_chromium() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs it with apt-get")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(small_comparison(), path, scenarios(), command="cxsim report (browser test)")
    return path


@pytest.fixture(scope="module")
def browser():
    executable = _require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is not installed in CI (pip install -e '.[test]')")
        pytest.skip("playwright is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    opened = context.new_page()
    yield opened
    context.close()


def _margins_mm() -> tuple[float, float, float, float]:
    """The @page margins of the report's style sheet: top, right, bottom, left (mm)."""
    css = report._stylesheet()
    values = [float(v) for v in re.search(r"@page\s*{\s*margin:\s*([^;]+);", css)
              .group(1).replace("mm", "").split()]
    top, right, bottom = values[0], values[1], values[2]
    return top, right, bottom, right


def _figure_count() -> int:
    """Figures of the small comparison's report: headline series, effects, a journey
    heatmap per scenario and the baseline, departments, network, economics."""
    return 2 + (1 + len(small_comparison().scenarios)) + 3


def test_loads_offline_without_console_errors_or_requests(page, report_file):
    errors, requests, dialogs = [], [], []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # anything but the file itself would be aborted (and seen in ``requests``)
    page.route(re.compile(r"^(?!file:|data:).*"), lambda route: route.abort())
    page.goto(report_file.as_uri(), wait_until="load")
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert dialogs == []
    assert [url for url in requests if not url.startswith("data:")] == [report_file.as_uri()]


def test_every_section_and_image_present_and_decoded(page, report_file):
    page.goto(report_file.as_uri(), wait_until="load")
    for section, heading in SECTIONS:
        locator = page.locator(f"section#{section}")
        assert locator.count() == 1
        assert locator.is_visible()
        assert heading in locator.locator("h2").inner_text()
    images = page.evaluate("""() => Array.from(document.images).map(
        image => ({complete: image.complete, width: image.naturalWidth,
                   height: image.naturalHeight, src: image.src.slice(0, 22)}))""")
    assert len(images) == _figure_count() > 0
    for image in images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        assert image["src"] == "data:image/png;base64,"


def test_hostile_scenario_name_shows_as_text(page, report_file):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(report_file.as_uri(), wait_until="load")
    assert HOSTILE_NAME in page.locator("body").inner_text()
    assert page.locator("script").count() == 0
    assert dialogs == []


def _not_blank(png: Path) -> None:
    from PIL import Image, ImageStat

    image = Image.open(png).convert("L")
    stat = ImageStat.Stat(image)
    dark = sum(image.histogram()[:200]) / (image.width * image.height)
    assert stat.stddev[0] > 5, f"{png} looks blank (std {stat.stddev[0]:.1f})"
    assert dark > 0.002, f"{png} has almost no ink ({dark:.3%})"


def test_screenshot_is_not_blank(page, report_file):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(report_file.as_uri(), wait_until="load")
    path = ARTIFACTS / "report-screen.png"
    page.screenshot(path=str(path), full_page=True)
    _not_blank(path)


@pytest.mark.parametrize("paper", list(PAPERS))
def test_no_figure_or_table_is_taller_than_a_page(page, report_file, paper):
    """With print media and the printable width, every figure and table fits in the
    printable height (a taller one would have to be cut)."""
    top, right, bottom, left = _margins_mm()
    width_mm, height_mm = PAPERS[paper]
    width = (width_mm - left - right) * PX_PER_MM
    height = (height_mm - top - bottom) * PX_PER_MM
    page.set_viewport_size({"width": int(width), "height": int(height)})
    page.emulate_media(media="print")
    page.goto(report_file.as_uri(), wait_until="load")
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll(
        'figure, table')).map(e => ({tag: e.tagName, id: e.id,
        height: e.getBoundingClientRect().height,
        width: e.getBoundingClientRect().width}))""")
    assert boxes
    for box in boxes:
        assert box["height"] < height, (paper, box, height)
        assert box["width"] <= width + 1, (paper, box, width)


def _page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf).pages]


@pytest.mark.parametrize("paper", list(PAPERS))
def test_printed_pages_cut_no_figure_or_table(page, report_file, paper, tmp_path):
    pdf = _printed_uncut(page, report_file, paper, tmp_path, _figure_count())
    shutil.copy(pdf, _artifacts() / pdf.name)
    _render_pages(pdf, page, paper)


def test_responsibility_section_renders_and_prints_uncut(page, tmp_path):
    """With a responsibility map the section is there, after "What drives this", its
    waterfalls decoded, and on A4 no figure or table of the report is cut."""
    result = small_responsibility()
    path = tmp_path / "report-responsibility.html"
    write_report(small_comparison(), path, scenarios(), responsibility=result)
    page.goto(path.as_uri(), wait_until="load")
    ids = page.evaluate("() => Array.from(document.querySelectorAll('section')).map(s => s.id)")
    assert ids == [key for key, _ in report_sections(True)]
    section = page.locator("section#responsibility")
    assert section.is_visible() and "Who carries your CX" in section.locator("h2").inner_text()
    images = section.locator("img")
    assert images.count() == len(result.metrics)
    for i in range(images.count()):
        assert images.nth(i).evaluate("image => image.complete && image.naturalWidth > 0")
    assert section.locator("table.responsibility").count() == len(result.metrics)
    pdf = _printed_uncut(page, path, "A4", tmp_path, _figure_count() + len(result.metrics))
    texts = _page_texts(pdf)
    assert sum("Who carries your CX" in text for text in texts) >= 1
    shutil.copy(pdf, _artifacts() / "report-responsibility-A4.pdf")


def _printed_uncut(page, path: Path, paper: str, tmp_path: Path, figures: int) -> Path:
    """Print ``path`` on ``paper``: every page numbered, each of the ``figures`` images
    on exactly one page, each table's caption and rows on one page. Returns the PDF."""
    from pypdf import PdfReader

    page.goto(path.as_uri(), wait_until="load")
    page.emulate_media(media="print")
    pdf = tmp_path / f"report-{paper}.pdf"
    page.pdf(path=str(pdf), format=paper, print_background=True)
    reader = PdfReader(pdf)
    pages = len(reader.pages)
    assert pages >= 3
    width_mm, height_mm = PAPERS[paper]
    assert float(reader.pages[0].mediabox.width) == pytest.approx(width_mm * PT_PER_MM, abs=1)
    assert float(reader.pages[0].mediabox.height) == pytest.approx(height_mm * PT_PER_MM,
                                                                   abs=1)
    texts = _page_texts(pdf)
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {pages}" in text, (paper, number)
    # a figure cut across pages would be drawn on both: each image on exactly one page
    drawn = [len(p.images) for p in reader.pages]
    assert sum(drawn) == figures, drawn
    # every table's caption and each row's first value (never wrapped) on one page
    tables = page.evaluate("""() => Array.from(document.querySelectorAll(
        'figure.table-block')).map(f => ({
            caption: f.querySelector('figcaption').innerText.split('.')[0],
            rows: Array.from(f.querySelectorAll('tbody tr')).map(
                r => r.querySelector('td.num').childNodes[0].textContent.trim())}))""")
    assert tables
    for table in tables:
        holding = [i for i, text in enumerate(texts) if table["caption"] + "." in text]
        assert len(holding) == 1, (paper, table["caption"], holding)
        text = texts[holding[0]]
        for row in table["rows"]:
            assert " ".join(row.split()) in text, (paper, table["caption"], row,
                                                   holding[0] + 1)
    return pdf


def _artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _render_pages(pdf: Path, page, paper: str) -> None:
    """The PDF's pages as PNG in the artefacts (pdftoppm), else the print-media
    screenshot; each must not be blank."""
    stem = _artifacts() / f"report-{paper}-page"
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(stem)], check=True)
        rendered = sorted(stem.parent.glob(f"{stem.name}-*.png"))
    else:
        path = Path(f"{stem}-all.png")
        page.screenshot(path=str(path), full_page=True)
        rendered = [path]
    assert rendered
    for png in rendered:
        _not_blank(png)


def test_cli_pdf_through_chromium(tmp_path):
    _require_chromium()
    from pypdf import PdfReader

    from cxsim.interfaces.cli import main

    stored = tmp_path / "comparison"
    small_comparison().save(stored)
    out = tmp_path / "client.html"
    status = main(["report", *scenario_paths(), "--from", str(stored), "--out", str(out),
                   "--pdf", "--paper", "letter"])
    assert status == 0
    reader = PdfReader(out.with_suffix(".pdf"))
    assert len(reader.pages) >= 3
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612, abs=1)
    assert "Page 1 of" in (reader.pages[0].extract_text() or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client.html", "client.pdf",
                                                          "comparison"]
