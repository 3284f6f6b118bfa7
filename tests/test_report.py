"""`detector report`: the HTML report (opened in headless Chromium and screenshotted),
the period's statistics as CSV and JSON, and the verification status per inspection."""

import csv
import json
import random
import sqlite3
import subprocess

import numpy as np
import pytest
from PIL import Image

from detector.cli import main
from detector.logbook.export import export_logbook, import_export
from detector.logbook.report import build_report, parse_period, statistics
from detector.logbook.sink import LogbookSink
from detector.logbook.store import DB_NAME, Logbook
from tests.conftest import system_tool
from tests.logbooks import write_inspection

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium():
    return system_tool("chromium", "chromium")


@pytest.fixture
def office(tmp_path):
    device = Logbook.on_device(tmp_path / "device")
    sink = LogbookSink(device)
    rng = random.Random(3)
    for n in range(6):
        write_inspection(sink, n, rng, month="2026-11", finding=n % 3 == 0,
                         location=["STN-A", "STN-B"][n % 2], team=["north", "south"][n % 2])
    for n in range(6, 9):
        write_inspection(sink, n, rng, month="2026-10", finding=False, location="STN-A")
    device.append("note", {"inspection": "insp-00002", "text": "hook loose, reported"})
    office = Logbook(tmp_path / "office")
    import_export(office, export_logbook(device, tmp_path / "drive"))
    device.close()
    yield office
    office.close()


def test_statistics_for_a_period(office):
    stats = statistics(office, parse_period(month="2026-11"))
    assert stats["total"]["inspections"] == 6
    assert stats["total"]["suspicious"] == 2 and stats["total"]["clear"] == 4
    by = {e["location"]: e for e in stats["locations"]}
    assert by["STN-A"]["inspections"] == 3 and by["STN-A"]["findings"] == 1  # n = 0
    assert by["STN-B"]["findings"] == 1 and by["STN-B"]["mean_coverage"] == 0.7  # n = 3
    quarter = statistics(office, parse_period(quarter="2026Q4"))
    assert quarter["total"]["inspections"] == 9


def test_report_command_writes_html_csv_and_json(office, tmp_path, capsys):
    out = tmp_path / "r.html"
    code = main(["report", "--dir", str(office.dir), "--month", "2026-11", "--out", str(out),
                 "--csv", str(tmp_path / "s.csv"), "--json", str(tmp_path / "s.json")])
    assert code == 0
    html = out.read_text()
    assert html.count("class=inspection") == 6 and "NOT VERIFIED" not in html
    assert "data:image/png;base64," in html and "<polyline" in html
    assert "hook loose, reported" in html
    assert "src='http" not in html and "href=" not in html  # self-contained
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert [r["location"] for r in rows] == ["STN-A", "STN-B"]
    assert json.loads((tmp_path / "s.json").read_text())["period"] == "2026-11"
    assert main(["report", "--dir", str(office.dir), "--month", "2026-13"]) != 0
    assert "expected YYYY-MM" in capsys.readouterr().err


def test_a_tampered_inspection_shows_as_not_verified(office):
    conn = sqlite3.connect(office.dir / DB_NAME, isolation_level=None)
    conn.execute("UPDATE records SET body = replace(body, 'suspicious', 'clear') "
                 "WHERE kind = 'inspection' AND body LIKE '%insp-00003%'")
    html = build_report(office, parse_period(month="2026-11"))
    shown = html.split("id='i-insp-00003'")[1].split("</div>")[0]
    assert "NOT VERIFIED" in shown and "altered" in shown
    assert "CLEAR" not in shown  # the changed result is not shown as the inspection's
    assert html.count("<span class='bad'>NOT VERIFIED") == 1  # only that inspection
    stats = statistics(office, parse_period(month="2026-11"))
    assert stats["total"]["unverified"] == 1
    assert stats["total"]["clear"] == 4  # it was suspicious; it is not counted as clear


def test_report_renders_in_a_real_browser(office, tmp_path, chromium):
    out = tmp_path / "r.html"
    out.write_text(build_report(office, parse_period(month="2026-11")))
    shot = tmp_path / "shot.png"
    done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--window-size=1100,1600", f"--screenshot={shot}", out.as_uri()],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-800:]
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert image.shape[:2] == (1600, 1100)
    ink = (image.sum(axis=2) < 600).mean()  # text, tables and the snapshot images
    assert 0.02 < ink < 0.6
    # The "suspicious" results are drawn in red (the summary table's count).
    red = (image[..., 0] > 150) & (image[..., 1] < 80) & (image[..., 2] < 80)
    assert red.sum() > 20
