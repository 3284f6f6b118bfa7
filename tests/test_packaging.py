"""pyproject lists its packages explicitly (the firmware is mapped in as
detector_firmware); every package directory must be on that list."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_and_the_firmware_is_mapped():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "detector").rglob("__init__.py")}
    assert found <= listed, f"not listed in pyproject.toml: {sorted(found - listed)}"
    assert "detector_firmware" in listed
    assert config["package-dir"]["detector_firmware"] == "firmware"
    assert (ROOT / "firmware" / "__init__.py").is_file()
