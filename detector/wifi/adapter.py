"""The monitor-mode Wi-Fi adapter, through `iw` (nl80211): whether the interface is
there and in monitor mode, whether its radio supports monitor mode, and tuning it to a
channel. `run` is injected: the real one calls `iw`, tests give canned answers."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# (command) -> (exit code, output)
Runner = Callable[[Sequence[str]], tuple[int, str]]
CHANNEL_MHZ = {**{ch: 2407 + 5 * ch for ch in range(1, 14)}, 14: 2484,
               **{ch: 5000 + 5 * ch for ch in range(32, 178)}}
CHANNEL_OF_MHZ = {mhz: ch for ch, mhz in CHANNEL_MHZ.items()}  # centre frequency -> number
# The 5 GHz channels the monitor hops: 20 MHz channels where no radar rules apply.
CHANNELS_5G = (36, 40, 44, 48, 149, 153, 157, 161, 165)


def run_iw(args: Sequence[str]) -> tuple[int, str]:
    try:
        done = subprocess.run(["iw", *args], capture_output=True, text=True, timeout=5)
    except FileNotFoundError:
        return 127, "iw is not installed (apt-get install iw)"
    except subprocess.TimeoutExpired:
        return 124, "iw did not answer within 5 s"
    return done.returncode, (done.stdout + done.stderr).strip()


@dataclass(frozen=True)
class InterfaceInfo:
    name: str
    kind: str  # monitor, managed, ...
    phy: int | None
    freq_mhz: int | None


class MonitorAdapter:
    def __init__(self, interface: str, run: Runner = run_iw) -> None:
        self.interface = interface
        self.run = run

    def info(self) -> InterfaceInfo | None:
        """The interface as the kernel has it; None when there is no such interface."""
        code, out = self.run(["dev", self.interface, "info"])
        if code != 0:
            return None
        kind = re.search(r"^\s*type (\S+)", out, re.M)
        phy = re.search(r"^\s*wiphy (\d+)", out, re.M)
        freq = re.search(r"^\s*channel \d+ \((\d+) MHz\)", out, re.M)
        return InterfaceInfo(self.interface, kind.group(1) if kind else "",
                             int(phy.group(1)) if phy else None,
                             int(freq.group(1)) if freq else None)

    def supports_monitor(self, phy: int) -> bool:
        code, out = self.run(["phy", f"phy{phy}", "info"])
        if code != 0:
            return False
        modes = out.split("Supported interface modes:", 1)
        if len(modes) < 2:
            return False
        listed = re.findall(r"^\s*\* (\S+)", modes[1].split("Band", 1)[0], re.M)
        return "monitor" in listed

    def tune(self, channel: int) -> bool:
        """Set the channel and read it back."""
        code, _out = self.run(["dev", self.interface, "set", "channel", str(channel)])
        if code != 0:
            return False
        info = self.info()
        return info is not None and info.freq_mhz == CHANNEL_MHZ.get(channel)
