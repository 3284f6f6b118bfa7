"""What the camera area of the live view shows, and the enlarged lens inset of evidence.

The live view always shows the on-axis frame of the latest complete frame set: the
frame the markers' coordinates belong to, and the one lit by the ring (an off-axis or
dark frame shows a lens barely, or nothing at all). A small NoIR frame under an 850 nm
ring is dim at a few metres, so the picture is brightened for the screen with a gain that
follows the scene slowly (no flicker from one screen to the next).

The inset puts the region around a lens from the on-axis frame next to the same region
from the off-axis frame, enlarged: the glint that is there in one and gone in the other
is what a person looks for.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TARGET_LEVEL = 200.0  # 8-bit level the bright end of the room is brought to
MAX_GAIN = 8.0
SMOOTHING = 0.3  # share of a higher gain taken at each screen (a lower one at once)
INSET_HALF_PX = 16  # half the side of the region cut around the lens (camera pixels)
INSET_ZOOM = 4


def as_8bit(frame: np.ndarray) -> np.ndarray:
    return frame if frame.dtype == np.uint8 else (frame >> 8).astype(np.uint8)


def scene_gain(frame: np.ndarray, percentile: float = 99, step: int = 4) -> float:
    """The gain that brings a high percentile of the frame to TARGET_LEVEL (of a
    subsample: a lens glint or an LED is a few pixels and must not set the level)."""
    sample = as_8bit(frame)[::step, ::step]
    level = float(np.percentile(sample, percentile)) if sample.size else 0.0
    return float(np.clip(TARGET_LEVEL / max(level, 1.0), 1.0, MAX_GAIN))


class ViewTone:
    """Brightens frames for the screen. The gain drops at once when the scene gets
    brighter (a washed-out view hides the room) and rises over a few screens when it
    gets darker (no flicker as the hand moves)."""

    def __init__(self) -> None:
        self.gain: float | None = None

    def apply(self, frame: np.ndarray) -> np.ndarray:
        target = scene_gain(frame)
        if self.gain is None or target < self.gain:
            self.gain = target
        else:
            self.gain += SMOOTHING * (target - self.gain)
        return brighten(frame, self.gain)


def brighten(frame: np.ndarray, gain: float) -> np.ndarray:
    image = as_8bit(frame)
    if gain == 1.0:
        return image
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _crop(frame: np.ndarray, x: float, y: float) -> np.ndarray:
    """The square around (x, y), padded with black where it leaves the frame."""
    h, w = frame.shape[:2]
    side = 2 * INSET_HALF_PX
    out = np.zeros((side, side), np.uint8)
    x0, y0 = int(round(x)) - INSET_HALF_PX, int(round(y)) - INSET_HALF_PX
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = as_8bit(frame)[sy0:sy1, sx0:sx1]
    return out


def lens_inset(onaxis: np.ndarray, offaxis: np.ndarray, x: float, y: float) -> Image.Image:
    """On-axis and off-axis crops around a lens side by side, enlarged, labelled, with
    the lens's place marked; both crops share one gain so their levels compare."""
    on, off = _crop(onaxis, x, y), _crop(offaxis, x, y)
    gain = scene_gain(on, percentile=90, step=1)  # the glint itself must not set it
    side = 2 * INSET_HALF_PX * INSET_ZOOM
    label_h = 12
    inset = Image.new("RGB", (2 * side + 6, side + label_h), (0, 0, 0))
    draw = ImageDraw.Draw(inset)
    font = ImageFont.load_default(size=10)
    for i, (crop, label) in enumerate(((on, "ON-AXIS"), (off, "OFF-AXIS"))):
        tile = Image.fromarray(brighten(crop, gain)).resize((side, side), Image.NEAREST)
        left = i * (side + 6)
        inset.paste(tile.convert("RGB"), (left, label_h))
        draw.text((left + 2, 0), label, fill=(235, 235, 235), font=font)
        c = left + side // 2
        mid = label_h + side // 2
        r = INSET_ZOOM * 4
        draw.ellipse([c - r, mid - r, c + r, mid + r], outline=(255, 40, 40), width=1)
    draw.rectangle([0, 0, inset.width - 1, inset.height - 1], outline=(255, 40, 40))
    return inset
