"""What a newcomer trips over: progress on a terminal and silence in a pipe, the result in
an inspector's words, `scenarios` in a pipe and checking many files, a window with no
screen, screens of an earlier run, importing a drive's folder."""

import io
import subprocess
import sys

import pytest

from detector.cli import main
from detector.logbook.export import export_logbook
from detector.logbook.store import Logbook
from detector.outcome_text import direction, result_sentence, run_line
from detector.progress import Progress
from tests.logbooks import device_logbook


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_rewrites_one_line_on_a_terminal_and_says_nothing_in_a_pipe():
    tty = Terminal()
    progress = Progress(tty)
    progress.show("default: 1.0 s", force=True)
    progress.show("default: 2.0 s", force=True)
    progress.done()
    assert tty.getvalue().count("\r") >= 3 and "default: 2.0 s" in tty.getvalue()
    assert "\n" not in tty.getvalue()  # the results print on a clean line
    piped = io.StringIO()
    quiet = Progress(piped)
    quiet.show("default: 1.0 s", force=True)
    quiet.done()
    assert piped.getvalue() == ""


def test_a_sweep_shows_progress_on_a_terminal(tmp_path, monkeypatch):
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["sweep", "--sim", "default", "--seconds", "0.5", "--out", str(tmp_path),
                 "--display", "none"]) == 0
    shown = tty.getvalue()
    assert "default: " in shown and " of 0.5 s simulated" in shown
    assert "frames" in shown and "alerts so far" in shown


def test_the_summary_tells_simulated_time_from_wall_time_and_the_result_in_words():
    line = run_line("Stall 3", 901, {"onaxis": 300, "offaxis": 300, "dark": 301}, 30.0, 33.3, 0)
    assert "over 30.0 s simulated, computed in 33.3 s wall time" in line
    lens = {"t_ns": 6_400_000_000, "x": 960.0, "y": 200.0}
    said = result_sentence("suspicious", ["a camera lens was confirmed"],
                           [{"level": "lens-confirmed", "t_ns": 6_400_000_000,
                             "reason": "lens confirmed"}], [lens], 1_000_000_000,
                           (1280, 720), 66.0)
    assert said.startswith("SUSPICIOUS: a camera lens was confirmed at 5.4 s, ")
    assert "right" in said and "up" in said
    assert direction(640, 360, 1280, 720, 66.0) == "near the centre of the view"
    assert result_sentence("incomplete", ["coverage 29% is below 60%"], [], [], 0,
                           (1280, 720), 66.0) == "INCOMPLETE: coverage 29% is below 60%"


def test_scenarios_into_a_closed_pipe_ends_quietly():
    done = subprocess.run(f"{sys.executable} -m detector scenarios | head -1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert len(done.stdout.splitlines()) == 1


def test_scenarios_check_reports_every_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\nname = "x"\n')
    broken = tmp_path / "broken.toml"
    broken.write_text("not [ toml")
    assert main(["scenarios", "--check", str(bad), "default", str(broken)]) == 2
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split()[0] for line in lines] == ["bad", "ok", "bad"]
    assert "2 of 3 scenario files are malformed" in captured.err


def test_long_descriptions_end_with_an_ellipsis(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.endswith("…") for line in lines)
    assert all(len(line) < 120 for line in lines)


def test_a_window_with_no_screen_is_an_error_not_an_invisible_run(tmp_path, monkeypatch,
                                                                    capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("the check is for Linux desktops")
    assert main(["sweep", "--sim", "default", "--seconds", "0.2", "--out", str(tmp_path),
                 "--display", "window"]) == 1
    assert "no screen here" in capsys.readouterr().err


def test_a_second_run_into_the_same_out_replaces_the_screens(tmp_path):
    (tmp_path / "display").mkdir()
    (tmp_path / "display" / "000999.png").write_bytes(b"old screen")
    (tmp_path / "display" / "notes.txt").write_text("mine")
    assert main(["sweep", "--sim", "default", "--seconds", "0.3", "--out", str(tmp_path),
                 "--display", "capture"]) == 0
    names = sorted(p.name for p in (tmp_path / "display").iterdir())
    assert "000999.png" not in names and "notes.txt" in names
    assert len([n for n in names if n.endswith(".png")]) >= 1


def test_import_takes_the_drive_folder_as_well_as_one_export(tmp_path, capsys):
    device = device_logbook(tmp_path / "device", inspections=2)
    drive = tmp_path / "drive"
    first = export_logbook(device, drive)
    first.rename(first.with_name(first.name + "-earlier"))  # two exports on one drive
    device.append("note", {"inspection": "insp-00001", "text": "later"})
    second = export_logbook(device, drive)
    device.close()
    assert main(["import", str(drive), "--dir", str(tmp_path / "office")]) == 0
    out = capsys.readouterr().out
    assert out.count("new records from") == 2
    with Logbook(tmp_path / "office") as office:
        assert office.head(office.devices()[0])[0] == 9
    assert main(["import", str(second), "--dir", str(tmp_path / "office")]) == 0
    assert "0 new records" in capsys.readouterr().out
    assert main(["import", str(tmp_path), "--dir", str(tmp_path / "office")]) == 1
    assert "no export here" in capsys.readouterr().err
