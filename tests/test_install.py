"""hardware/pi/install.sh: shellcheck clean, a dry run changes nothing, a run against a
fake root directory writes every file with its mode, and a second run changes nothing."""

import hashlib
import subprocess
from pathlib import Path

import pytest

from detector.config import load_config
from tests.conftest import system_tool

REPO = Path(__file__).parent.parent
SCRIPT = REPO / "hardware" / "pi" / "install.sh"
FILES = {
    "etc/systemd/system/detector.service": 0o644,
    "etc/systemd/system/detector-sync.service": 0o644,
    "etc/systemd/system/detector-export@.service": 0o644,
    "etc/systemd/system/detector-usb-gadget.service": 0o644,
    "etc/udev/rules.d/90-detector-export.rules": 0o644,
    "etc/udev/rules.d/91-detector-rfscanner.rules": 0o644,
    "etc/udev/rules.d/92-detector-wifimon.rules": 0o644,
    "etc/systemd/system/detector-wifimon.service": 0o644,
    "usr/local/sbin/detector-usb-gadget": 0o755,
    "etc/modules-load.d/detector-gadget.conf": 0o644,
    "home/detector/.config/detector/config.toml": 0o644,
    "boot/firmware/config.txt": None,
}


def install(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=60)


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def shellcheck():
    return system_tool("shellcheck", "shellcheck")


def test_scripts_are_shellcheck_clean(shellcheck):
    done = subprocess.run([shellcheck, str(SCRIPT),
                           str(REPO / "hardware/pi/gadget/detector-usb-gadget")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_dry_run_changes_nothing(tmp_path):
    done = install("--dry-run", "--root", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
    out = done.stdout
    assert "would write: /etc/systemd/system/detector.service" in out
    assert "would write: /etc/udev/rules.d/92-detector-wifimon.rules" in out
    assert "would run: python3 -m venv --system-site-packages /opt/detector/.venv" in out
    assert "dry run: nothing was changed" in out
    done = install("--dry-run")  # against the real root: still only words
    assert done.returncode == 0 and "would run: systemctl enable" in done.stdout


def test_fake_root_gets_every_file_and_a_second_run_changes_nothing(tmp_path):
    boot = tmp_path / "boot" / "firmware" / "config.txt"
    boot.parent.mkdir(parents=True)
    boot.write_text("[all]\narm_64bit=1\n")
    first = install("--root", str(tmp_path))
    assert first.returncode == 0, first.stderr
    for name, mode in FILES.items():
        path = tmp_path / name
        assert path.is_file(), name
        if mode is not None:
            assert path.stat().st_mode & 0o777 == mode, name
    assert (tmp_path / "etc/systemd/system/detector.service").read_text() == \
        (REPO / "hardware/pi/systemd/detector.service").read_text()
    assert boot.read_text() == "[all]\narm_64bit=1\ndtoverlay=dwc2,dr_mode=peripheral\n"
    config = load_config(tmp_path / "home/detector/.config/detector/config.toml")
    assert config.get("backend.camera") == "pi" and config.get("rf.port") == "/dev/rfscanner"
    before = tree(tmp_path)
    second = install("--root", str(tmp_path))
    assert second.returncode == 0
    assert "wrote:" not in second.stdout and "added to" not in second.stdout
    assert "already installed: nothing changed" in second.stdout
    assert tree(tmp_path) == before


def test_an_existing_configuration_is_kept(tmp_path):
    config = tmp_path / "home/detector/.config/detector/config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[rf]\nport = "/dev/ttyACM1"\n')
    assert install("--root", str(tmp_path)).returncode == 0
    assert config.read_text() == '[rf]\nport = "/dev/ttyACM1"\n'


def test_bad_options_are_one_line(tmp_path):
    done = install("--frobnicate")
    assert done.returncode == 2 and "unknown option --frobnicate" in done.stderr
    done = install("--source", str(tmp_path))
    assert done.returncode == 2 and "not the project checkout" in done.stderr
