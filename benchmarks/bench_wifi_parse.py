"""Wi-Fi capture parsing speed: frames per second on one core, decoding radiotap and the
802.11 MAC header of every record (CaptureReader.frames), against a plain walk over the
same file's records without decoding (CaptureReader.records), in the same run.

The file is written here: a busy 2.4 GHz channel, header-only, as a monitor-mode capture
would hold it (QoS data near the MTU, ACKs, beacons). Target: at least 50,000 frames/s.

    python benchmarks/bench_wifi_parse.py [--frames N] [--rounds R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from detector.wifi.capture import CaptureReader, PcapWriter
from detector.wifi.encode import capture_bytes
from detector.wifi.headers import BEACON, CTRL, DATA, MGMT, WifiFrame

TARGET_FPS = 50_000


def busy_channel(n: int, seed: int = 1) -> list[WifiFrame]:
    rng = random.Random(seed)
    stations = [bytes([0xA4, 0xCF, 0x12, 0, 0, i]) for i in range(12)]
    ap = bytes.fromhex("001122334455")
    frames = []
    t = 1_700_000_000_000_000_000
    for _ in range(n):
        t += rng.randint(50_000, 400_000)
        roll = rng.random()
        if roll < 0.65:
            sta = rng.choice(stations)
            frames.append(WifiFrame(t, rng.choice((1400, 1500, 1536, 300)), rng.randint(-80, -30),
                                    2437, DATA, 8, True, False, False, True, ap, sta, ap))
        elif roll < 0.95:
            frames.append(WifiFrame(t, 14, rng.randint(-80, -30), 2437, CTRL, 13, False, False,
                                    False, False, rng.choice(stations), None, None))
        else:
            frames.append(WifiFrame(t, 220, -60, 2437, MGMT, BEACON, False, False, False,
                                    False, b"\xff" * 6, ap, ap, "venue"))
    return frames


def timed(path: Path, decode: bool) -> tuple[int, float]:
    started = time.perf_counter()
    with CaptureReader(path) as reader:
        count = sum(1 for _ in (reader.frames() if decode else reader.records()))
    return count, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "busy.pcap"
        with open(path, "wb") as fh:
            writer = PcapWriter(fh)
            for frame in busy_channel(args.frames):
                data, wire = capture_bytes(frame)
                writer.write(frame.t_ns, data, wire)
        plain, parsed = [], []
        for _ in range(args.rounds):  # alternated, so both see the same machine
            n, s = timed(path, decode=False)
            plain.append(n / s)
            n, s = timed(path, decode=True)
            parsed.append(n / s)
        size_mb = path.stat().st_size / 1e6
    fps, ref = statistics.median(parsed), statistics.median(plain)
    print(f"{args.frames} frames ({size_mb:.1f} MB header-only pcap), median of "
          f"{args.rounds} rounds on one core:")
    print(f"  plain walk over the records: {ref:,.0f} frames/s")
    print(f"  radiotap + 802.11 decoded:   {fps:,.0f} frames/s "
          f"(ratio to the plain walk {fps / ref:.2f})")
    print(f"  target {TARGET_FPS:,} frames/s: {'met' if fps >= TARGET_FPS else 'MISSED'} "
          f"({fps / TARGET_FPS:.1f}x)")


if __name__ == "__main__":
    main()
