"""`detector sim`: render a scenario through the sim backends, show it on the simulated
display, and optionally write a recorded session with ground truth."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from detector.capture import capture_frames
from detector.config import Config
from detector.hw.clock import SimClock
from detector.hw.factory import build_devices
from detector.hw.lights import LightSequencer
from detector.optics import LensAlert, LensDetector
from detector.recording import RecordingWriter
from detector.rf.analysis import RfAlert
from detector.rf.simulated import SimulatedRadio
from detector.sim.scenario import Scenario
from detector.sim.truth import TruthCollector
from detector.ui.screens import LiveStatus, live_view


@dataclass
class SimSummary:
    frames: int = 0
    labels: Counter = field(default_factory=Counter)
    wall_s: float = 0.0
    screens: int = 0
    out_dir: Path | None = None
    record_dir: Path | None = None
    button_events: list[str] = field(default_factory=list)
    lens_alerts: list[tuple[float, LensAlert]] = field(default_factory=list)  # (s, alert)
    rf_alerts: list[tuple[float, RfAlert]] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0


def device_description(scenario: Scenario, config: Config) -> dict:
    d = scenario.device
    return {"camera": "imx708_noir (simulated)", "resolution": list(d.resolution),
            "hfov_deg": d.hfov_deg, "fps": d.fps, "exposure_us": d.exposure_us,
            "ring_mm": d.ring_mm, "offaxis_mm": d.offaxis_mm,
            "analogue_gain": config.get("camera.analogue_gain")}


def run_sim(config: Config, scenario: Scenario, out_dir: Path | None = None,
            record_dir: Path | None = None, seconds: float | None = None,
            presses: list[tuple[float, str, bool]] | None = None) -> SimSummary:
    summary = SimSummary(out_dir=out_dir, record_dir=record_dir)
    writer = None
    if record_dir is not None:
        writer = RecordingWriter(record_dir, device_description(scenario, config), source="sim",
                                 scenario=scenario.name)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    devices = build_devices(config, scenario=scenario, out_dir=out_dir, seconds=seconds,
                            presses=presses)
    clock = devices.clock
    assert isinstance(clock, SimClock)
    truth = TruthCollector(scenario, clock.start_ns)
    events = open(out_dir / "events.jsonl", "w", encoding="utf-8") if out_dir else None

    def log(event: str, **data) -> None:
        if events is not None:
            events.write(json.dumps({"t_s": round(clock.seconds(), 4), "event": event, **data})
                         + "\n")

    every = config.get("sim.display_every")
    sequencer = LightSequencer(config.get("lights.pattern"))
    lens = LensDetector(config, pattern=config.get("lights.pattern"))
    radio = SimulatedRadio(scenario, clock)
    started = time.perf_counter()
    log("start", scenario=scenario.name, source=scenario.source)
    try:
        devices.camera.start()
        for frame in capture_frames(devices.camera, devices.lights, sequencer):
            summary.frames += 1
            summary.labels[frame.lights] += 1
            truth.add(frame)
            if writer is not None:
                writer.add_frame(frame)
            for reading in radio.poll():
                if writer is not None:
                    writer.add_rf(reading)
            for alert in radio.analyzer.alerts[len(summary.rf_alerts):]:
                summary.rf_alerts.append((clock.seconds(alert.start_ns), alert))
                log("rf_alert", **alert.to_json())
            result = lens.add_frame(frame)
            for alert in result.alerts if result is not None else []:
                summary.lens_alerts.append((clock.seconds(alert.t_ns), alert))
                log("lens_alert", **alert.to_json())
            for event in devices.buttons.poll():
                summary.button_events.append(event.name)
                log("button", button=event.button, long=event.long)
            if frame.index % every == 0:
                count = len(summary.lens_alerts)
                status = LiveStatus(elapsed_s=clock.seconds(frame.t_ns), lights=frame.lights,
                                    title=scenario.name, frame_index=frame.index,
                                    markers=lens.markers(), rf_text=radio.status_text(),
                                    lens_text=f"LENS {count}" if count else "")
                devices.display.show(live_view(frame.image, status, devices.display.size,
                                               devices.display.mode))
                summary.screens += 1
        log("end", frames=summary.frames, labels=dict(summary.labels))
    finally:
        radio.close()
        summary.wall_s = time.perf_counter() - started
        if writer is not None:
            writer.set_truth(truth.to_json())
            writer.close()
        if events is not None:
            events.close()
        devices.close()
    return summary
