"""``freecost audit`` and ``freecost report``: files written, text printed, exit codes, batches."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.test_monitor import _call

INVENTORY = """\
version: 1
business: {{name: {name}}}
settings:
  vantage: {{control: []}}
  timezone: America/Chicago
  fail_after: 1
  report: {{prepared_by: Hill & Dale Consulting{logo}}}
functions:
  - {{id: records, name: We look up customer history, criticality: high, rto: 1d, needs: [crm]}}
dependencies:
  - id: crm
    name: Weekly CRM export
    checks:
      - {{id: fresh, type: file-age, path: "exports/*.csv"}}
"""
# A 1x1 PNG: the smallest real image a logo test can embed.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def client(folder: Path, name: str = "Corner Shop", *, fresh: bool = True, logo: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "exports").mkdir(exist_ok=True)
    if fresh:
        (folder / "exports" / "customers.csv").write_text("id,name\n")
    path = folder / "inventory.yaml"
    path.write_text(INVENTORY.format(name=name, logo=logo), encoding="utf-8")
    return path


def test_audit_writes_every_default_format_and_prints_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = client(tmp_path / "shop")
    out = tmp_path / "out"
    code, printed, err = _call(["audit", str(inventory), "--out", str(out)], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]
    lines = printed.splitlines()
    assert lines[0] == (
        f"report written to {out / 'report.html'} (also report.md, report.json); "
        "1 check run (1 ok), 0 not due"
    )
    assert lines[1].startswith("Corner Shop: grade ")
    assert "Do first:" in lines
    document = json.loads((out / "report.json").read_text())
    assert document["schema_version"] == 1
    assert document["mode"] == "audit"
    assert [r["status"] for r in document["results"]] == ["ok"]
    assert document["branding"]["prepared_by"] == "Hill & Dale Consulting"
    html = (out / "report.html").read_text()
    assert "Hill &amp; Dale Consulting" in html
    assert "Corner Shop" in (out / "report.md").read_text()


def test_audit_exits_like_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = client(tmp_path / "shop", fresh=False)
    code, _, _ = _call(["audit", str(inventory), "--out", str(tmp_path / "out")], capsys)
    assert code == 2  # the export is missing: a fail, as `check` would say


def test_the_default_folder_is_per_business_and_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = client(tmp_path / "shop", name="Corner Shop & Café")
    monkeypatch.chdir(tmp_path)
    code, _, _ = _call(["audit", str(inventory), "--format", "json"], capsys)
    assert code == 0
    (dated,) = (tmp_path / "reports" / "corner-shop-cafe").iterdir()
    assert len(dated.name) == 10
    assert dated.name[4] == "-"
    assert [p.name for p in dated.iterdir()] == ["report.json"]


def test_compare_says_what_changed_since_the_last_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = client(tmp_path / "shop")
    _call(["audit", str(inventory), "--out", str(tmp_path / "first")], capsys)
    code, printed, err = _call(
        [
            "audit",
            str(inventory),
            "--out",
            str(tmp_path / "second"),
            "--compare",
            str(tmp_path / "first" / "report.json"),
        ],
        capsys,
    )
    assert code == 0, err
    document = json.loads((tmp_path / "second" / "report.json").read_text())
    assert "compare" in document
    assert "better" in printed.splitlines()[-1]


def test_report_reads_history_without_probing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = client(tmp_path / "shop")
    _call(["check", str(inventory)], capsys)
    (tmp_path / "shop" / "exports" / "customers.csv").unlink()  # a probe now would fail
    out = tmp_path / "out"
    code, printed, err = _call(
        ["report", str(inventory), "--since", "7d", "--out", str(out), "--format", "md,json"],
        capsys,
    )
    assert code == 0, err
    document = json.loads((out / "report.json").read_text())
    assert document["mode"] == "report"
    assert [r["status"] for r in document["results"]] == ["ok"]  # stored, not probed
    assert printed.startswith(f"report written to {out / 'report.md'}")


def test_pdf_is_printed_by_chromium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = client(tmp_path / "shop")
    out = tmp_path / "out"
    code, _, err = _call(["audit", str(inventory), "--out", str(out), "--format", "pdf"], capsys)
    assert code == 0, err
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") >= 1


def test_status_page_is_written_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = client(tmp_path / "shop")
    _call(["check", str(inventory)], capsys)
    out = tmp_path / "public"
    code, printed, err = _call(
        ["report", str(inventory), "--status-page", "--out", str(out)], capsys
    )
    assert code == 0, err
    assert [p.name for p in out.iterdir()] == ["status.html"]
    assert printed.strip() == f"status page written to {out / 'status.html'}"
    assert "We look up customer history" in (out / "status.html").read_text()


def test_a_png_logo_is_embedded_and_an_svg_one_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "logo.png").write_bytes(PNG)
    inventory = client(tmp_path / "shop", logo=", logo: logo.png")
    code, _, err = _call(["report", str(inventory), "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    document = json.loads((tmp_path / "a" / "report.json").read_text())
    assert base64.b64decode(document["branding"]["logo"]["data_base64"]) == PNG
    assert "data:image/png;base64," in (tmp_path / "a" / "report.html").read_text()

    (tmp_path / "shop" / "logo.svg").write_text("<svg><script>alert(1)</script></svg>")
    inventory = client(tmp_path / "shop", logo=", logo: logo.svg")
    code, _, err = _call(["report", str(inventory), "--out", str(tmp_path / "b")], capsys)
    assert code == 3
    assert "is not a PNG, JPEG, GIF or WebP image" in err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "docx"], "--format: unknown format 'docx'; choose from html, md, json, pdf"),
        (["--compare", "missing.json"], "missing.json: cannot read it"),
    ],
)
def test_bad_options_are_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    inventory = client(tmp_path / "shop")
    code, _, err = _call(["audit", str(inventory), "--out", str(tmp_path / "o"), *argv], capsys)
    assert code == 3
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert "Traceback" not in err


def test_a_batch_writes_one_report_per_client_and_an_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = client(tmp_path / "a", name="Corner Shop")
    second = client(tmp_path / "b", name="<script>alert(1)</script> Bakery", fresh=False)
    broken = tmp_path / "c" / "inventory.yaml"
    broken.parent.mkdir()
    broken.write_text("version: 1\nbusiness: {name: Broken}\n")
    out = tmp_path / "clients"
    code, printed, err = _call(
        ["audit", str(first), str(second), str(broken), "--out", str(out)], capsys
    )
    assert code == 3  # one client could not be audited at all
    assert str(broken) in err
    index = (out / "index.html").read_text()
    assert "Corner Shop" in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bakery" in index
    assert "<script>" not in index
    assert "not audited" in index
    assert (out / "corner-shop").is_dir()
    for folder in (out / "corner-shop", out / "script-alert-1-script-bakery"):
        (dated,) = folder.iterdir()
        assert (dated / "report.html").is_file()
        assert f'href="{dated.relative_to(out).as_posix()}/report.html"' in index
    assert printed.splitlines()[-1] == f"index written to {out / 'index.html'}"
