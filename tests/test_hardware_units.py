"""The system units in hardware/pi run commands this program really has."""

import re
import shlex
from pathlib import Path

import pytest

from detector.cli_args import parser as _parser

UNITS = Path(__file__).parent.parent / "hardware" / "pi"


def detector_commands():
    for unit in sorted((UNITS / "systemd").glob("*.service")):
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                found = re.search(r"/detector (.+?)['\"]?$", line)
                if found:
                    yield unit.name, found.group(1)


@pytest.mark.parametrize(("unit", "command"), list(detector_commands()))
def test_units_run_real_commands(unit, command):
    args = shlex.split(command.replace('"$(findmnt -nro TARGET /dev/%i)"', "/media/x"))
    parsed = _parser().parse_args(args)
    assert parsed.command in ("sync", "export", "sweep"), unit


def test_udev_rule_starts_the_export_unit():
    rule = (UNITS / "udev" / "90-detector-export.rules").read_text()
    assert 'SYSTEMD_WANTS}+="detector-export@%k.service"' in rule
    assert (UNITS / "systemd" / "detector-export@.service").exists()
