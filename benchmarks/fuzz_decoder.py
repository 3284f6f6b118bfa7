"""Fuzz the host's protocol decoder with mutated frames, and measure its speed against the
link it serves.

    python benchmarks/fuzz_decoder.py [--frames 1000000] [--seed N]

Each frame is a real sweep, broadband or status message; a third are mutated (bytes
flipped, inserted, deleted, truncated, or frames glued without their delimiter) before
they reach the decoder in random-sized chunks. It checks that no exception escapes,
that the decoder's buffer stays bounded, and that every frame is either decoded intact
or counted as bad. It then prints the decode rate next to what a 921600-baud link can
deliver, decoding all the way to readings (the ratio must be at least 20).
"""

from __future__ import annotations

import argparse
import random
import time

from detector.rf.readings import broadband_reading, sweep_reading
from detector.rf.wire import MAX_ENCODED, StreamDecoder
from detector_firmware import protocol as P

LINK_BYTES_PER_S = 921600 / 10  # 8N1: ten bits per byte


def sample_frames(rng: random.Random, n: int) -> list[bytes]:
    out = []
    for seq in range(n):
        kind = rng.random()
        if kind < 0.5:
            values = [rng.randint(-11000, -2000) for _ in range(84)]
            payload = P.pack_sweep(3, 2, seq, 30000, [2400000 + k * 1000 for k in range(84)],
                                   values, True)
            out.append(P.pack_frame(P.SWEEP, seq, payload))
        elif kind < 0.9:
            out.append(P.pack_frame(P.BROADBAND, seq, P.pack_broadband(2, seq, -4000)))
        else:
            out.append(P.pack_frame(P.STATUS, seq, P.pack_status(seq, seq, 0, 1, 0)))
    return out


def mutate(rng: random.Random, frame: bytes) -> bytes:
    b = bytearray(frame)
    how = rng.randrange(5)
    if how == 0:
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif how == 1:
        b.insert(rng.randrange(len(b)), rng.randrange(256))
    elif how == 2 and len(b) > 2:
        del b[rng.randrange(len(b) - 1)]
    elif how == 3:
        b = b[:rng.randrange(1, len(b) - 1)] + b"\x00"  # really shorter
    else:
        b = b[:-1]  # delimiter lost: glued to the next frame
    return bytes(b)


def fuzz(n: int, seed: int = 1) -> dict[str, int]:
    """Returns counts: frames, mutated, swallowed (intact frames glued to a damaged one
    whose delimiter was lost: unrecoverable by design), exceptions, max_buffer,
    good_decoded (intact frames decoded), bad_counted (corrupt + lost + duplicates)."""
    rng = random.Random(seed)
    payloads = [(P.unpack_frame(f[:-1])[0], P.unpack_frame(f[:-1])[2])
                for f in sample_frames(rng, 256)]
    decoder = StreamDecoder()
    exceptions = max_buffer = good = mutated = swallowed = 0
    glued = False
    pending = bytearray()
    for i in range(n):
        msg_type, payload = payloads[i % len(payloads)]
        frame = P.pack_frame(msg_type, i, payload)
        was_glued, glued = glued, False
        if rng.random() < 0.33:
            frame = mutate(rng, frame)
            mutated += 1
            glued = not frame.endswith(b"\x00")
        elif was_glued:
            swallowed += 1  # intact, but joined to the damaged frame before it
        pending += frame
        if len(pending) > 4096 or i == n - 1:
            cut = 0
            while cut < len(pending):
                step = rng.randint(1, 2048)
                try:
                    good += len(decoder.feed(bytes(pending[cut:cut + step])))
                except Exception:  # noqa: BLE001 - counted: the test is that none escape
                    exceptions += 1
                cut += step
                max_buffer = max(max_buffer, len(decoder.buf))
            pending.clear()
    s = decoder.stats
    return {"frames": n, "mutated": mutated, "swallowed": swallowed, "exceptions": exceptions,
            "max_buffer": max_buffer, "good_decoded": good,
            "bad_counted": s.corrupt + s.duplicates + s.lost}


def speed(seconds: float = 2.0) -> tuple[float, float]:
    """Bytes per second from raw link bytes to rf.jsonl readings (framing, CRC, sequence
    check, message parsing), and that over what the link can deliver."""
    rng = random.Random(3)
    stream = b"".join(sample_frames(rng, 2000))  # sequence numbers in order
    decoder = StreamDecoder()
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        decoder.reset_sequence()
        for i in range(0, len(stream), 4096):
            for msg_type, _seq, payload in decoder.feed(stream[i:i + 4096]):
                if msg_type == P.SWEEP:
                    sweep_reading(P.unpack_sweep(payload), 0)
                elif msg_type == P.BROADBAND:
                    broadband_reading(P.unpack_broadband(payload), 0)
        done += len(stream)
    rate = done / (time.perf_counter() - started)
    return rate, rate / LINK_BYTES_PER_S


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    started = time.perf_counter()
    report = fuzz(args.frames, args.seed)
    wall = time.perf_counter() - started
    intact = report["frames"] - report["mutated"] - report["swallowed"]
    print(f"fuzz: {report['frames']} frames ({report['mutated']} mutated, "
          f"{report['swallowed']} swallowed by a mutated neighbour that lost its delimiter) "
          f"in {wall:.0f} s: {report['exceptions']} exceptions; {report['good_decoded']} "
          f"decoded (intact: {intact}); {report['bad_counted']} counted corrupt, lost or "
          f"duplicate; decoder buffer at most {report['max_buffer']} bytes "
          f"(bound {MAX_ENCODED})")
    rate, ratio = speed()
    print(f"decode speed: {rate / 1e6:.1f} MB/s, {ratio:.0f}x what a 921600-baud link "
          f"delivers ({LINK_BYTES_PER_S / 1e3:.0f} kB/s); target at least 20x")


if __name__ == "__main__":
    main()
