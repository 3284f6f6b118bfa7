"""Wi-Fi cameras identified during a sweep, from the frames the adapter hears and the
device's own motion.

The adapter hears one channel at a time (wifi/hopping.py), so a device is classified on
the frames of its latest unbroken stretch of listening on its channel (a run of dwells),
at most WINDOW_S long, once that stretch is MIN_RUN_S long. The analysis asks the hopper
to stay on a channel while a stream there is still unclassified, and while an
identified camera's motion test runs (the inspector is asked to walk for WALK_S).

A camera identification is kept for the sweep; its RSSI trail (one median per second
of the frames it sent) gives the hotter/colder proximity the screen and buzzer show.
Addresses of devices that are not suspected are never stored past the window
(docs/wifi.md, the privacy rule).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

import numpy as np

from detector.wifi.adapter import CHANNEL_MHZ, CHANNELS_5G
from detector.wifi.classify import STREAM_KBPS, DeviceClass, Verdict, classify
from detector.wifi.features import TrafficFeatures, features_of
from detector.wifi.headers import BEACON, DATA, MGMT, WifiFrame, mac_text
from detector.wifi.motion import MotionResponse, binned, motion_response, sent_bitrate

WINDOW_S = 12.0  # the longest stretch a device is classified on
MIN_RUN_S = 3.0  # the shortest
CLASSIFY_EVERY_S = 0.5
HOLD_MAX_S = 6.0  # staying on a channel to classify a stream heard there
WALK_S = 10.0  # the walk the inspector is asked for, for the motion test
TRAIL_S = 30  # seconds of RSSI trail kept per suspect
RSSI_RANGE = (-90.0, -30.0)  # mapped to proximity 0-1
RUN_GAP_NS = 5_000_000  # dwells closer than this are one stretch of listening
# An RF finding is explained by Wi-Fi traffic heard this recently on its channels (the
# hopper comes back to a channel within a cycle, 3-6 s).
EXPLAIN_RECENT_S = 6.0
WIFI_HALF_WIDTH_MHZ = 10.0  # a 20 MHz Wi-Fi channel either side of its centre
LOOK_AGAIN_S = 8.0  # an RF finding's channel is looked at again after this long


@dataclass(frozen=True)
class Dwell:
    """The adapter listened on freq_mhz from start_ns to end_ns."""

    freq_mhz: int
    start_ns: int
    end_ns: int


@dataclass
class Suspect:
    """A device identified as a streaming camera, with its latest verdict and trail."""

    address: bytes
    verdict: Verdict
    features: TrafficFeatures
    identified_ns: int
    freq_mhz: int | None
    vendor: str | None = None
    trail: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=TRAIL_S))
    walk_asked_ns: int | None = None

    @property
    def name(self) -> str:
        return mac_text(self.address)

    def proximity(self) -> float:
        """0 (far) to 1 (close), from the last three seconds of the trail."""
        if not self.trail:
            return 0.0
        recent = float(np.median([r for _t, r in list(self.trail)[-3:]]))
        lo, hi = RSSI_RANGE
        return min(max((recent - lo) / (hi - lo), 0.0), 1.0)

    def trend_db(self) -> float:
        """Last three seconds' median against the three before: + hotter, - colder."""
        values = [r for _t, r in self.trail]
        if len(values) < 4:
            return 0.0
        return float(np.median(values[-3:]) - np.median(values[-6:-3]))

    def to_json(self, start_ns: int) -> dict:
        """The logbook's evidence: no payload, only what identified it."""
        return {"address": self.name, "vendor": self.vendor, "freq_mhz": self.freq_mhz,
                "identified_ns": self.identified_ns,
                "identified_s": round((self.identified_ns - start_ns) / 1e9, 2),
                **self.verdict.to_json(), "traffic": self.features.to_json(),
                "rssi_trail": [[round((t - start_ns) / 1e9, 1), round(r, 1)]
                               for t, r in self.trail]}


# Nearly every 2.4 GHz network uses channel 1, 6 or 11, the three that do not overlap.
COMMON_2G4_MHZ = (2412, 2437, 2462)
HOPPED_5G_MHZ = tuple(CHANNEL_MHZ[ch] for ch in CHANNELS_5G)


def channel_for(lo_mhz: float, hi_mhz: float) -> int | None:
    """The Wi-Fi channel most likely to carry RF power seen between lo and hi MHz: at
    2.4 GHz channel 1, 6 or 11, at 5 GHz a hopped channel, when one is within a
    channel's width of its centre (a run of hot channels wanders and breaks up around
    its emitter), else the nearest channel within half a channel's width; None outside
    the Wi-Fi bands."""
    centre = (lo_mhz + hi_mhz) / 2
    # At 5 GHz the monitor hops only HOPPED_5G_MHZ: an RX5808 channel 13 MHz from a
    # camera's reads it, and a look between two of them is a look where nobody sends.
    common = min(COMMON_2G4_MHZ if centre < 3000 else HOPPED_5G_MHZ,
                 key=lambda mhz: abs(mhz - centre))
    if abs(common - centre) <= 2 * WIFI_HALF_WIDTH_MHZ:
        return common
    freq = min(CHANNEL_MHZ.values(), key=lambda mhz: abs(mhz - centre))
    return freq if abs(freq - centre) <= WIFI_HALF_WIDTH_MHZ else None


def _overlaps(freq_mhz: int, lo_mhz: float, hi_mhz: float) -> bool:
    """Whether a 20 MHz Wi-Fi channel covers a real share of lo-hi MHz: half of it, or
    half a channel's width of a wider span (a run that only grazes a neighbouring
    channel's edge is not that channel's)."""
    shared = min(freq_mhz + WIFI_HALF_WIDTH_MHZ, hi_mhz) - max(freq_mhz - WIFI_HALF_WIDTH_MHZ,
                                                             lo_mhz)
    return shared >= min(WIFI_HALF_WIDTH_MHZ, (hi_mhz - lo_mhz) / 2)


class WifiAnalyzer:
    """Feed it `add(frames, dwells)` and `add_motion(t_ns, value)`; call `update(now)`
    for the cameras identified since the last call. `hold(freq, since_ns, now)` tells the
    hopper whether to stay."""

    def __init__(self, start_ns: int, vendors=None) -> None:
        self.start_ns = start_ns
        self.vendors = vendors
        self.frames: dict[bytes, deque[WifiFrame]] = defaultdict(deque)
        self.runs: dict[int, tuple[int, int]] = {}  # per channel: its latest stretch
        self.verdicts: dict[bytes, tuple[int, Verdict]] = {}  # latest, with its run start
        self.suspects: dict[bytes, Suspect] = {}
        self.motion: deque[tuple[int, float]] = deque()
        self.heard: set[int] = set()  # channels heard so far
        self.listened: dict[int, deque[Dwell]] = defaultdict(deque)  # recent, per channel
        self.looks: dict[int, int] = {}  # channels the RF analysis asked about, and when
        self._cues: list[int] = []  # of those, the ones the hopper has not been told of
        self._next_ns = start_ns

    # ---- inputs -----------------------------------------------------------------------------
    def add(self, frames: list[WifiFrame], dwells: list[Dwell]) -> None:
        for d in dwells:
            self.heard.add(d.freq_mhz)
            recent = self.listened[d.freq_mhz]
            recent.append(d)
            while recent and d.end_ns - recent[0].end_ns > EXPLAIN_RECENT_S * 1e9:
                recent.popleft()
            run = self.runs.get(d.freq_mhz)
            if run is not None and d.start_ns - run[1] <= RUN_GAP_NS:
                self.runs[d.freq_mhz] = (run[0], max(run[1], d.end_ns))
            else:
                self.runs[d.freq_mhz] = (d.start_ns, d.end_ns)
        for f in frames:
            if f.addr2 is None:
                continue
            self.frames[f.addr2].append(f)
            if f.kind == DATA and not f.addr1[0] & 1:
                self.frames[f.addr1].append(f)
            suspect = self.suspects.get(f.addr2)
            if suspect is not None and f.rssi_dbm is not None:
                self._trail(suspect, f)

    def add_motion(self, t_ns: int, value: float) -> None:
        """The device's own motion (any unit: the lens detector's frame alignment)."""
        self.motion.append((t_ns, value))
        while self.motion and t_ns - self.motion[0][0] > WINDOW_S * 2e9:
            self.motion.popleft()

    # ---- analysis -----------------------------------------------------------------------------
    def update(self, now: int) -> list[Suspect] | None:
        """The cameras identified since the last call; None when it is not yet time to
        classify again (every CLASSIFY_EVERY_S)."""
        if now < self._next_ns:
            return None
        self._next_ns = now + int(CLASSIFY_EVERY_S * 1e9)
        new = []
        for address in list(self.frames):
            frames = self.frames[address]
            while frames and now - frames[0].t_ns > WINDOW_S * 1e9:
                frames.popleft()
            if not frames:
                del self.frames[address]  # not suspected: forgotten with its window
                self.verdicts.pop(address, None)
                continue
            found = self._classify(address, list(frames), now)
            if found is not None:
                new.append(found)
        return new

    def _classify(self, address: bytes, frames: list[WifiFrame], now: int) -> Suspect | None:
        freq = next((f.freq_mhz for f in frames if f.addr2 == address and f.freq_mhz), None)
        run = self.runs.get(freq) if freq is not None else None
        if run is None:
            return None
        start = max(run[0], now - int(WINDOW_S * 1e9), run[1] - int(WINDOW_S * 1e9))
        end = run[1]
        if end - start < MIN_RUN_S * 1e9:
            return None
        mine = [f for f in frames if start <= f.t_ns <= end]
        if not any(f.addr2 == address for f in mine):
            return None
        features = features_of(address, mine, start, end)
        verdict = classify(features, self._motion_test(address, mine, start, end))
        self.verdicts[address] = (run[0], verdict)
        suspect = self.suspects.get(address)
        if suspect is not None:
            if verdict.device_class.is_camera:  # a quiet spell does not clear it
                suspect.verdict, suspect.features = _better(suspect, verdict, features)
            return None
        if not verdict.device_class.is_camera:
            return None
        suspect = Suspect(address, verdict, features, now, freq,
                          self.vendors.of(address) if self.vendors is not None else None)
        for f in mine:
            if f.addr2 == address and f.rssi_dbm is not None:
                self._trail(suspect, f)
        self.suspects[address] = suspect
        return suspect

    def _motion_test(self, address: bytes, frames: list[WifiFrame], start: int,
                     end: int) -> MotionResponse | None:
        if not self.motion:
            return None
        bins = int((end - start) / 1e9)
        rate = sent_bitrate(frames, address, start, bins)
        mt = np.array([(t_ns - start) / 1e9 for t_ns, _v in self.motion])
        mv = np.array([v for _t, v in self.motion])
        return motion_response(rate, binned(mt, mv, 0.0, bins, mean=True))

    def _trail(self, suspect: Suspect, f: WifiFrame) -> None:
        second = (f.t_ns - self.start_ns) // 1_000_000_000
        trail = suspect.trail
        if trail and (trail[-1][0] - self.start_ns) // 1_000_000_000 == second:
            t, r = trail[-1]  # a running mean within the second
            trail[-1] = (t, r + (f.rssi_dbm - r) * 0.1)
        else:
            trail.append((f.t_ns, float(f.rssi_dbm)))

    # ---- what the RF analysis asks ------------------------------------------------------
    def explains(self, lo_mhz: float, hi_mhz: float, now: int) -> str | None:
        """Whether Wi-Fi traffic heard lately accounts for RF power between lo_mhz and
        hi_mhz: among the devices heard sending on the Wi-Fi channels that overlap it in
        the last EXPLAIN_RECENT_S, the loudest is one the traffic analysis has classified
        as no camera (a phone, a laptop, an access point...), and none is an identified
        camera or a stream not classified yet. Returns what explains it ("phone-browse on
        2437 MHz"), or None. A Wi-Fi power reading cannot tell these apart; the headers
        can (docs/rf.md, "Explained by Wi-Fi")."""
        loudest: tuple[float, str] | None = None
        for address, frames in self.senders(lo_mhz, hi_mhz, now).items():
            rssi = max((f.rssi_dbm for f in frames if f.rssi_dbm is not None), default=-200.0)
            if address in self.suspects:
                return None
            known = self._class_of(address)
            if known is not None:
                kind = str(known)
            elif self._streams(frames, now):
                return None  # still being classified: it may be a camera
            elif any(f.kind == MGMT and f.subtype == BEACON for f in frames):
                kind = "access-point"  # beacons and no stream: one frame says what it is
            else:
                continue  # a keep-alive says nothing either way
            why = f"{kind} on {frames[-1].freq_mhz} MHz"
            if loudest is None or rssi > loudest[0]:
                loudest = (rssi, why)
        return loudest[1] if loudest is not None else None

    def look(self, lo_mhz: float, hi_mhz: float, now: int) -> None:
        """The RF analysis heard something new between lo and hi MHz: listen on the Wi-Fi
        channel it most likely is (`channel_for`; once per LOOK_AGAIN_S), so that what
        is sending there gets classified."""
        freq = channel_for(lo_mhz, hi_mhz)
        if freq is None:
            return
        asked = self.looks.get(freq)
        if asked is None or now - asked > LOOK_AGAIN_S * 1e9:
            self.looks[freq] = now
            self._cues.append(freq)

    def take_cues(self) -> list[int]:
        """The channels to listen on next (each handed over once)."""
        cues, self._cues = self._cues, []
        return cues

    def examining(self, lo_mhz: float, hi_mhz: float, now: int) -> bool:
        """Whether traffic on those channels is still to be classified: the RF analysis
        asked for a look less than LOOK_AGAIN_S ago and the adapter has not yet listened
        there MIN_RUN_S since, or a stream heard there lately has no verdict yet. Not
        when an identified camera is heard there: then nothing will explain it away."""
        senders = self.senders(lo_mhz, hi_mhz, now)
        if self._any_camera(senders):
            return False
        for freq, asked in self.looks.items():
            if now - asked <= LOOK_AGAIN_S * 1e9 and _overlaps(freq, lo_mhz, hi_mhz):
                run = self.runs.get(freq)
                if run is None or run[1] - max(run[0], asked) < MIN_RUN_S * 1e9:
                    return True
        return any(self._class_of(address) is None and self._streams(frames, now)
                   for address, frames in senders.items())

    def camera_heard(self, lo_mhz: float, hi_mhz: float, now: int) -> bool:
        """Whether a device identified as a camera sent lately on the Wi-Fi channels that
        overlap lo-hi MHz: the RF analysis alerts at its run first."""
        return self._any_camera(self.senders(lo_mhz, hi_mhz, now))

    def _any_camera(self, senders: dict[bytes, list[WifiFrame]]) -> bool:
        """Whether any of these senders is an identified camera."""
        return any(address in self.suspects for address in senders)

    def _class_of(self, address: bytes) -> DeviceClass | None:
        """The device's class from its latest verdict (None: not classified yet)."""
        known = self.verdicts.get(address)
        if known is None or known[1].device_class == DeviceClass.UNKNOWN:
            return None
        return known[1].device_class

    def _streams(self, frames: list[WifiFrame], now: int) -> bool:
        """Whether a device's recent frames carry a stream's bitrate (STREAM_KBPS) over
        the time the adapter listened on its channel (it hears a channel a fraction of
        the time)."""
        sent = sum(f.length for f in frames if f.kind == DATA)
        if not sent:
            return False
        since = now - int(EXPLAIN_RECENT_S * 1e9)
        listened_s = sum(min(d.end_ns, now) - max(d.start_ns, since)
                         for d in self.listened.get(frames[-1].freq_mhz, ())
                         if d.end_ns > since) / 1e9
        return sent * 8 / 1000 / max(listened_s, 0.1) >= STREAM_KBPS

    def senders(self, lo_mhz: float, hi_mhz: float, now: int) -> dict[bytes, list[WifiFrame]]:
        """The frames each device sent lately on a Wi-Fi channel overlapping lo-hi MHz."""
        since = now - int(EXPLAIN_RECENT_S * 1e9)
        out: dict[bytes, list[WifiFrame]] = {}
        for address, frames in self.frames.items():
            mine = [f for f in frames if f.addr2 == address and f.t_ns >= since
                    and f.freq_mhz and _overlaps(f.freq_mhz, lo_mhz, hi_mhz)]
            if mine:
                out[address] = mine
        return out

    # ---- what the hopper and the screen ask -------------------------------------------
    def hold(self, freq_mhz: int, since_ns: int, now: int) -> bool:
        """Stay on this channel? While the RF analysis's look at it lasts (MIN_RUN_S of
        listening), while a stream heard on it since `since_ns` is still unclassified (up
        to HOLD_MAX_S), and while a camera on it is being walk-tested."""
        held_s = (now - since_ns) / 1e9
        walking = self.walk_prompt(now)
        if walking is not None and walking.freq_mhz == freq_mhz and held_s < WALK_S + MIN_RUN_S:
            return True
        asked = self.looks.get(freq_mhz)
        if asked is not None and now - asked <= LOOK_AGAIN_S * 1e9 \
                and now - max(since_ns, asked) < (MIN_RUN_S + CLASSIFY_EVERY_S) * 1e9:
            return True  # the RF analysis asked: listen long enough to classify what is here
        if held_s >= HOLD_MAX_S:
            return False
        for address, frames in self.frames.items():
            if address in self.suspects or self._settled(address, since_ns):
                continue
            sent = [f for f in frames if f.addr2 == address and f.freq_mhz == freq_mhz
                    and f.kind == DATA and f.t_ns >= since_ns]
            if sent and sum(f.length for f in sent) * 8 / 1000 / max(held_s, 0.1) >= STREAM_KBPS:
                return True
        return False

    def _settled(self, address: bytes, since_ns: int) -> bool:
        known = self.verdicts.get(address)
        return known is not None and known[1].device_class != DeviceClass.UNKNOWN \
            and known[0] >= since_ns

    def walk_prompt(self, now: int) -> Suspect | None:
        """The camera the inspector is asked to walk for (its motion test has not
        answered yet), asked once per camera, for WALK_S."""
        for s in self.suspects.values():
            if s.verdict.motion_response is not None:
                continue
            if s.walk_asked_ns is None:
                s.walk_asked_ns = now
            if now - s.walk_asked_ns < WALK_S * 1e9:
                return s
        return None

    def nearest(self) -> Suspect | None:
        """The suspect with the strongest recent signal: the one the trail follows."""
        return max(self.suspects.values(), key=lambda s: s.proximity(), default=None)


def _better(suspect: Suspect, verdict: Verdict,
            features: TrafficFeatures) -> tuple[Verdict, TrafficFeatures]:
    """Keep the fuller verdict: a motion answer is not lost to a later window without
    one."""
    if verdict.motion_response is None and suspect.verdict.motion_response is not None:
        return suspect.verdict, suspect.features
    return verdict, features
