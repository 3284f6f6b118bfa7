"""The live monitor-mode adapter as the Wi-Fi monitor's source: frames from an
AF_PACKET socket on the monitor interface (radiotap and 802.11 headers, as libpcap would
hand them over, without libpcap), channels tuned with `iw` by the hopper.

A reader thread takes each frame off the socket and stamps it with the session's
clock; `read()` hands the frames over stretch by stretch, as the hopper walks the
channels. Only the first SNAPLEN bytes of a frame are copied from the kernel (the
headers and a beacon's network name; MSG_TRUNC still says how long the frame was), so
a payload never reaches the program's memory (docs/wifi.md).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from typing import Any

from detector.errors import DetectorError
from detector.wifi.adapter import MonitorAdapter
from detector.wifi.analysis import Dwell
from detector.wifi.headers import DATA, WifiFrame, frame_from_radiotap
from detector.wifi.hopping import Hold, Hopper, HopSchedule
from detector.wifi.monitor import Deliver

ETH_P_ALL = 0x0003
SNAPLEN = 256  # radiotap, the MAC header and a beacon's first elements
RECV_TIMEOUT_S = 0.2  # how often the reader looks whether it should stop


def packet_socket(interface: str) -> socket.socket:
    """A raw socket on the interface (needs CAP_NET_RAW, which the service grants)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((interface, 0))
    return sock


class LiveCapture:
    """`sock` is anything with recv_into(buffer, nbytes, MSG_TRUNC) and settimeout()
    that yields one radiotap record per call (a packet socket on the device; a socket
    pair in tests)."""

    def __init__(self, sock: Any, clock: Any, adapter: MonitorAdapter,
                 schedule: HopSchedule | None = None) -> None:
        self.sock = sock
        self.clock = clock
        self.adapter = adapter
        self.queue: deque[tuple[int, bytes, int]] = deque()
        self.error: str | None = None
        self.bad = 0  # records that were not 802.11 with radiotap
        self._stop = threading.Event()
        self.hopper = Hopper(schedule or HopSchedule(), adapter.tune, clock.monotonic_ns())
        sock.settimeout(RECV_TIMEOUT_S)
        self._thread = threading.Thread(target=self._reader, name="wifi-capture", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, interface: str, clock: Any) -> LiveCapture:
        try:
            sock = packet_socket(interface)
        except OSError as exc:
            raise DetectorError(f"wifi.interface {interface}: cannot capture ({exc.strerror}); "
                                f"`detector doctor` checks the adapter") from None
        return cls(sock, clock, MonitorAdapter(interface))

    def _reader(self) -> None:
        buf = bytearray(SNAPLEN)
        while not self._stop.is_set():
            try:  # only the headers are copied; MSG_TRUNC still gives the frame's length
                n = self.sock.recv_into(buf, SNAPLEN, socket.MSG_TRUNC)
            except TimeoutError:
                continue
            except OSError as exc:  # the adapter was pulled out
                if not self._stop.is_set():
                    self.error = exc.strerror or str(exc)
                return
            if n == 0:
                continue
            self.queue.append((self.clock.monotonic_ns(), bytes(buf[:min(n, SNAPLEN)]), n))

    def read(self, now: int, hold: Hold, deliver: Deliver) -> None:
        if self.error is not None:
            raise DetectorError(f"Wi-Fi adapter {self.adapter.interface}: {self.error}")

        def listen(d: Dwell) -> int:
            frames: list[WifiFrame] = []
            while self.queue and self.queue[0][0] <= d.end_ns:
                t_ns, data, wire = self.queue.popleft()
                try:
                    frame = frame_from_radiotap(data, wire, t_ns)
                except ValueError:
                    self.bad += 1
                    continue
                if frame is not None:
                    frames.append(frame)
            deliver(frames, d)
            return sum(f.kind == DATA for f in frames)

        self.hopper.advance(now, hold, listen)

    def cue(self, freq_mhz: int) -> None:
        """Listen on this channel next (the monitor's analysis asks)."""
        self.hopper.cue(freq_mhz)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2 * RECV_TIMEOUT_S + 1)
        with contextlib.suppress(OSError):
            self.sock.close()
