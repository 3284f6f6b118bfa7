"""How frames reach the sweep loop.

On the device the camera runs in its own thread (it must keep switching the LEDs on
time) and hands frames over through a bounded queue that drops the oldest frame when
the loop falls behind: latency stays bounded and every drop is counted and shown.
In simulation the loop pulls frames in lockstep instead: the simulated clock only moves
when a frame is rendered, so runs are reproducible and nothing is dropped.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator

from detector.hw.camera import Frame

END = object()  # the camera has no more frames (end of a simulated or recorded sweep)
NOTHING = object()  # no frame arrived in time


class DropOldestQueue:
    """A bounded queue: put never blocks; when full, the oldest item is dropped."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.items: deque = deque()
        self.maxsize = maxsize
        self.dropped = 0
        self._cond = threading.Condition()

    def put(self, item) -> None:
        with self._cond:
            if len(self.items) >= self.maxsize:
                self.items.popleft()
                self.dropped += 1
            self.items.append(item)
            self._cond.notify()

    def get(self, timeout_s: float):
        """The oldest item, or NOTHING after timeout_s."""
        with self._cond:
            if not self.items:
                self._cond.wait(timeout_s)
            return self.items.popleft() if self.items else NOTHING

    def __len__(self) -> int:
        return len(self.items)


class LockstepFeed:
    """Pulls the next frame from the capture generator when the loop asks."""

    threaded = False

    def __init__(self, frames: Iterator[Frame]) -> None:
        self.frames = frames
        self.dropped = 0
        self.error: BaseException | None = None

    def start(self) -> None:
        pass

    def get(self, timeout_s: float = 0.0):
        return next(self.frames, END)

    def stop(self) -> None:
        close = getattr(self.frames, "close", None)
        if close is not None:
            close()


class ThreadedFeed:
    """Runs the capture generator in a thread, into a DropOldestQueue."""

    threaded = True

    def __init__(self, frames: Iterator[Frame], maxsize: int = 3) -> None:
        self.frames = frames
        self.queue = DropOldestQueue(maxsize)
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)

    @property
    def dropped(self) -> int:
        return self.queue.dropped

    def _run(self) -> None:
        try:
            for frame in self.frames:
                if self._stop.is_set():
                    break
                self.queue.put(frame)
        except Exception as exc:  # noqa: BLE001 - reported by the loop as a camera fault
            self.error = exc
        finally:
            self.queue.put(END)

    def start(self) -> None:
        self._thread.start()

    def get(self, timeout_s: float = 0.05):
        return self.queue.get(timeout_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=2.0)


class ScreenWorker:
    """Shows screens from its own thread, latest first: on the device an SPI transfer of a
    full 320x240 screen takes tens of milliseconds, which must not hold up the frames.
    A screen not yet shown when a newer one arrives is dropped (counted)."""

    def __init__(self, show) -> None:
        self.show = show
        self.slot = DropOldestQueue(1)
        self.error: BaseException | None = None
        self.shown = 0
        self._thread = threading.Thread(target=self._run, name="display", daemon=True)
        self._thread.start()

    def submit(self, image) -> None:
        if self.error is not None:
            raise self.error
        self.slot.put(image)

    def _run(self) -> None:
        while True:
            image = self.slot.get(0.5)
            if image is END:
                return
            if image is NOTHING:
                continue
            try:
                self.show(image)
                self.shown += 1
            except Exception as exc:  # noqa: BLE001 - raised in the loop's thread
                self.error = exc
                return

    def close(self) -> None:
        self.slot.put(END)
        self._thread.join(timeout=2.0)
