"""The simulated camera: renders one frame of a scenario as the NoIR camera would see it.

Pipeline per frame (all in 10-bit digital numbers, DN10, until the last step):
1. Geometry on a coarse grid (every GRID px): each grid ray, posed at its row's time
   (rolling shutter), is intersected with the room box; this gives texture coordinates
   and the irradiance from each LED group (1/d², LED beam, cosine of incidence), plus
   ambient and cos^4 vignetting. The grid is upsampled to full size (the mapping is
   smooth within a face) and the texture sampled with one cv2.remap.
2. Row weights: the fraction of each row's exposure under each LED state, from the
   light-switch log, so frames that straddle a switch really are mixed.
3. Objects (optics_model.py) are added as sprites: Gaussian spots (point-spread
   function plus the object's own size) smeared along their image motion during the
   exposure (motion blur), or as filled polygons (retro-tape); holes and housings darken
   the albedo.
4. Camera noise: shot noise (electrons = DN · e/DN) and read noise, drawn fresh for
   every frame as random bytes mapped through a 256-level table of the normal
   distribution (10x cheaper than drawing normals; tails clip at 2.7 sigma). Noise must
   be independent between frames: a shifted copy of one pattern, which an earlier
   version used, is what phase correlation locks onto instead of the scene.
5. Saturation at 1023 and conversion of 10 bits to 8 bits.
Motion blur of the background is a line filter along the image motion of the centre
pixel during the exposure, applied only when that motion exceeds a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.special import ndtri

from detector.sim import optics_model as om
from detector.sim.camera_model import CameraModel, FramePoses, FrameTruth, RenderedFrame
from detector.sim.emissions import Lighting, emissions_of, plane_axes
from detector.sim.exposure import lens_view
from detector.sim.motion import Pose, Trajectory
from detector.sim.scenario import Scenario, SceneObject
from detector.sim.textures import TEXTURE_PPM, surface_texture

GRID = 8  # coarse geometry grid step, pixels


@dataclass(frozen=True)
class _PlacedObject:
    obj: SceneObject
    at: np.ndarray
    mount_normal: np.ndarray


class Renderer:
    """Renders frames of one scenario. Not thread-safe (holds per-frame buffers)."""

    def __init__(self, scenario: Scenario, camera: CameraModel | None = None,
                 noise: bool = True) -> None:
        self.scenario = scenario
        self.cam = camera or CameraModel.from_scenario(scenario)
        self.noise = noise
        self.trajectory = Trajectory(scenario)
        self.room = np.array(scenario.room.size, dtype=float)
        self.texture = surface_texture(scenario.room.surface)
        self.specular = om.SURFACE_SPECULAR.get(scenario.room.surface)
        self.leds = om.device_led_groups(self.cam.ring_mm, self.cam.offaxis_mm)
        self.rng = np.random.default_rng([scenario.seed, 0x5E75])
        self.objects = [self._place(o) for o in scenario.objects]
        self._build_grid()
        levels = ndtri((np.arange(256) + 0.5) / 256.0)
        self._normal_table = (levels / levels.std()).astype(np.float32)

    # ---- setup -------------------------------------------------------------------------
    def _place(self, obj: SceneObject) -> _PlacedObject:
        at = np.array(obj.at, dtype=float)
        # Inward normal of the nearest room face: the surface the object is mounted on.
        dists = np.concatenate([at, self.room - at])
        face = int(np.argmin(dists))
        normal = np.zeros(3)
        normal[face % 3] = 1.0 if face < 3 else -1.0
        return _PlacedObject(obj=obj, at=at, mount_normal=normal)

    def _build_grid(self) -> None:
        w, h = self.cam.width, self.cam.height
        # Grid nodes sit where cv2.resize (scale GRID, one node of margin each side)
        # samples them, so upsampling is exact at every node: node j is pixel GRID*(j-1)+c.
        c = (GRID - 1) / 2.0
        self.gw = -(-w // GRID) + 2
        self.gh = -(-h // GRID) + 2
        us = GRID * (np.arange(self.gw) - 1) + c
        vs = GRID * (np.arange(self.gh) - 1) + c
        uu, vv = np.meshgrid(us, vs)
        self.grid_rays = np.stack([(uu - self.cam.cx) / self.cam.fx,
                                   (vv - self.cam.cy) / self.cam.fx,
                                   np.ones_like(uu)], axis=-1)
        self.grid_row_frac = np.clip(vs / max(h - 1, 1), 0.0, 1.0)
        cos_field = 1.0 / np.linalg.norm(self.grid_rays, axis=-1)
        self.vignetting = cos_field ** om.VIGNETTING_POWER

    # ---- geometry ----------------------------------------------------------------------
    def project(self, pose: Pose, point: np.ndarray) -> tuple[float, float, float]:
        """Pixel (u, v) and depth of a room point in this camera."""
        return pose.project(point, self.cam.fx, self.cam.cx, self.cam.cy)

    def _led_points(self, pose: Pose, state: str) -> np.ndarray:
        return pose.to_room(self.leds[state].offsets)

    def _irradiance_from(self, pose: Pose, state: str,
                         point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """LED positions of a group and the irradiance each gives at `point` (normal)."""
        leds = self._led_points(pose, state)
        falloff, _ = om.led_falloff(point - leds, pose.forward)
        return leds, self.leds[state].share * falloff

    # ---- background ----------------------------------------------------------------------
    def _background(self, poses: FramePoses, weights: dict[str, np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Full-size (albedo, diffuse lighting in DN per unit albedo, specular DN or None)."""
        gh, gw = self.gh, self.gw
        frac = self.grid_row_frac[:, None]
        s = ((frac * poses.readout + 0.5 * poses.exposure) / poses.span)[..., None]
        # Per grid row: ray directions and origin at that row's mid-exposure time.
        d0 = self.grid_rays @ poses.r0.T
        d1 = self.grid_rays @ poses.r1.T
        dirs = (1 - s) * d0 + s * d1
        origin = (1 - s) * poses.p0 + s * poses.p1  # (gh, 1, 3)
        origin = np.broadcast_to(origin, dirs.shape)
        safe = np.where(np.abs(dirs) < 1e-12, 1e-12, dirs)
        bound = np.where(dirs > 0, self.room, 0.0)
        t_axis = (bound - origin) / safe
        t_axis = np.where(t_axis > 1e-6, t_axis, np.inf)
        axis = np.argmin(t_axis, axis=-1)
        t_hit = np.take_along_axis(t_axis, axis[..., None], axis=-1)[..., 0]
        t_hit = np.where(np.isfinite(t_hit), t_hit, 1e3)
        hit = origin + t_hit[..., None] * dirs
        positive = np.take_along_axis(dirs, axis[..., None], axis=-1)[..., 0] > 0
        normal = np.zeros_like(hit)
        np.put_along_axis(normal, axis[..., None], np.where(positive, -1.0, 1.0)[..., None], axis=-1)

        tex_u, tex_v = self._texture_coords(hit, axis, positive)

        # Irradiance from each LED group, per grid node.
        mid = poses.at(0.5, 0.5)
        total = np.full((gh, gw), self.scenario.room.ambient)
        spec = np.zeros((gh, gw))
        for state, weight in weights.items():
            if state == "dark" or not np.any(weight):
                continue
            leds = self._led_points(mid, state)
            share = self.leds[state].share
            e = np.zeros((gh, gw))
            for led in leds:
                d = hit - led
                falloff, inv = om.led_falloff(d, mid.forward)
                cos_inc = np.clip(-np.einsum("...i,...i->...", d, normal) * inv, 0, 1)
                e += share * falloff * cos_inc
                if self.specular is not None:
                    spec += weight[:, None] * share * falloff * self._spec_lobe(
                        hit, normal, led, origin)
            total += weight[:, None] * e
        shading = (total * self.cam.dn_scale * self.vignetting).astype(np.float32)
        spec_img = None
        if self.specular is not None:
            spec_img = (spec * self.specular[0] * self.cam.dn_scale * self.vignetting)

        albedo = self._sample_texture(tex_u, tex_v)
        if spec_img is not None:
            spec_img = np.ascontiguousarray(self._upsample(spec_img.astype(np.float32)))
        return albedo, self._upsample(shading), spec_img

    def _spec_lobe(self, hit, normal, led, origin) -> np.ndarray:
        to_led = led - hit
        to_cam = origin - hit
        half = (to_led / np.linalg.norm(to_led, axis=-1, keepdims=True)
                + to_cam / np.linalg.norm(to_cam, axis=-1, keepdims=True))
        half /= np.linalg.norm(half, axis=-1, keepdims=True)
        cos = np.clip(np.einsum("...i,...i->...", half, normal), -1, 1)
        width = np.radians(self.specular[1])
        return np.exp(-(np.arccos(cos) / width) ** 2)

    def _texture_coords(self, hit: np.ndarray, axis: np.ndarray,
                        positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Texture coordinates continuous around the four walls; floor and ceiling
        use their own regions of the texture."""
        W, D, H = self.room
        x, y, z = hit[..., 0], hit[..., 1], hit[..., 2]
        u = np.select(
            [(axis == 1) & ~positive, (axis == 0) & positive, (axis == 1) & positive,
             (axis == 0) & ~positive, (axis == 2) & ~positive],
            [x, W + y, W + D + (W - x), 2 * W + D + (D - y), x + 1.3],
            default=x + 2.7,
        )
        v = np.where(axis == 2, y + 0.6, z)
        return (u * TEXTURE_PPM).astype(np.float32), (v * TEXTURE_PPM).astype(np.float32)

    def _upsample(self, grid: np.ndarray) -> np.ndarray:
        w, h = self.cam.width, self.cam.height
        big = cv2.resize(grid, (self.gw * GRID, self.gh * GRID), interpolation=cv2.INTER_LINEAR)
        return big[GRID:GRID + h, GRID:GRID + w]

    def _sample_texture(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        # The texture is periodic, so shifting by whole periods changes nothing; keeping
        # coordinates inside the texture avoids cv2.remap's slow BORDER_WRAP path (5x).
        period = float(self.texture.shape[0])
        u = u - np.float32(period * np.floor(u.min() / period))
        v = v - np.float32(period * np.floor(v.min() / period))
        map_x = np.ascontiguousarray(self._upsample(u))
        map_y = np.ascontiguousarray(self._upsample(v))
        return cv2.remap(self.texture, map_x, map_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_WRAP)

    # ---- objects -------------------------------------------------------------------------
    def _object_light(self, pose: Pose, point: np.ndarray, weights: dict[str, float]):
        """Per lit LED group: (LED positions, irradiance of each at point, row weight)."""
        out = []
        for state, weight in weights.items():
            if state == "dark" or weight <= 0:
                continue
            leds, irr = self._irradiance_from(pose, state, point)
            out.append((leds, irr * weight))
        return out

    def _emissions(self, placed: _PlacedObject, pose: Pose, weights: dict[str, float],
                   t: float) -> tuple[list[tuple[np.ndarray, float, float]], list]:
        """Point emissions and albedo discs of one object (sim/emissions.py)."""
        light = Lighting(pose, weights, t,
                         lit_at=lambda point: self._object_light(pose, point, weights),
                         led_points=lambda state: self._led_points(pose, state),
                         shares={state: group.share for state, group in self.leds.items()})
        return emissions_of(placed.obj, placed.at, placed.mount_normal, light)

    # ---- drawing ------------------------------------------------------------------------
    def _flux_dn(self, intensity: float, distance: float) -> float:
        return self.cam.dn_scale * np.pi * intensity * self.cam.fx**2 / distance**2

    def _add_spot(self, img: np.ndarray, u0: float, v0: float, u1: float, v1: float,
                  flux: float, sigma: float) -> None:
        """Add a Gaussian spot of total `flux`, smeared from (u0, v0) to (u1, v1)."""
        if flux <= 0.05 or not np.isfinite(flux):
            return
        length = float(np.hypot(u1 - u0, v1 - v0))
        steps = int(min(max(np.ceil(length), 1), 24))
        peak = flux / (2 * np.pi * sigma**2 * steps)
        reach = sigma * np.sqrt(2 * np.log(max(peak / 0.05, 1.0001))) + 1
        reach = min(reach, 48.0)  # caps the bloom of huge sources (LEDs seen in a mirror)
        h, w = img.shape
        x_lo = int(max(np.floor(min(u0, u1) - reach), 0))
        x_hi = int(min(np.ceil(max(u0, u1) + reach) + 1, w))
        y_lo = int(max(np.floor(min(v0, v1) - reach), 0))
        y_hi = int(min(np.ceil(max(v0, v1) + reach) + 1, h))
        if x_lo >= x_hi or y_lo >= y_hi:
            return
        xs = np.arange(x_lo, x_hi, dtype=np.float32)
        ys = np.arange(y_lo, y_hi, dtype=np.float32)
        patch = np.zeros((y_hi - y_lo, x_hi - x_lo), np.float32)
        inv = 1.0 / (2 * sigma**2)
        for k in range(steps):
            s = (k + 0.5) / steps
            uc, vc = u0 + s * (u1 - u0), v0 + s * (v1 - v0)
            gx = np.exp(-((xs - uc) ** 2) * inv)
            gy = np.exp(-((ys - vc) ** 2) * inv)
            patch += np.outer(gy, gx)
        img[y_lo:y_hi, x_lo:x_hi] += patch * np.float32(peak)

    @staticmethod
    def _paint_disc(albedo_img: np.ndarray, spec_img: np.ndarray | None, u: float, v: float,
                    radius_px: float, albedo: float) -> None:
        """Give an anti-aliased disc of the surface its own albedo (a hole, a housing); the
        wall's specular sheen does not show through it."""
        h, w = albedo_img.shape
        r = max(radius_px, 0.3)
        x_lo, x_hi = int(max(u - r - 2, 0)), int(min(u + r + 3, w))
        y_lo, y_hi = int(max(v - r - 2, 0)), int(min(v + r + 3, h))
        if x_lo >= x_hi or y_lo >= y_hi:
            return
        yy, xx = np.mgrid[y_lo:y_hi, x_lo:x_hi]
        dist = np.hypot(xx - u, yy - v)
        cover = np.clip(r + 0.5 - dist, 0.0, 1.0).astype(np.float32)
        if r < 0.5:
            cover *= np.float32((r / 0.5) ** 2)
        patch = albedo_img[y_lo:y_hi, x_lo:x_hi]
        patch += cover * (np.float32(albedo) - patch)
        if spec_img is not None:
            spec_img[y_lo:y_hi, x_lo:x_hi] *= 1 - cover

    def _draw_tape(self, img: np.ndarray, placed: _PlacedObject, poses: FramePoses,
                   weights_at) -> None:
        obj = placed.obj
        u_axis, v_axis = plane_axes(placed.mount_normal)
        w_m, h_m = obj["size_mm"][0] / 1000.0, obj["size_mm"][1] / 1000.0
        corners = [placed.at + a * w_m / 2 * u_axis + b * h_m / 2 * v_axis
                   for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        mid = poses.at(0.5, 0.5)
        u, v, z = self.project(mid, placed.at)
        if z <= 0 or not np.isfinite(u):
            return
        to_cam = mid.position - placed.at
        cos_view = float(placed.mount_normal @ to_cam / np.linalg.norm(to_cam))
        if cos_view <= 0:
            return
        row = float(np.clip(v / max(self.cam.height - 1, 1), 0, 1))
        pose = poses.at(row, 0.5)
        eff, width = om.TAPE_RETRO
        area = w_m * h_m * cos_view
        intensity = sum(om.retro_intensity(placed.at, pose.position, leds, irr, area, eff, width)
                        for leds, irr in self._object_light(pose, placed.at, weights_at(row)))
        pts = np.array([self.project(pose, c)[:2] for c in corners])
        if not np.all(np.isfinite(pts)):
            return
        flux = self._flux_dn(intensity, float(np.linalg.norm(to_cam)))
        h, w = img.shape
        x_lo, y_lo = np.floor(pts.min(axis=0)).astype(int) - 3
        x_hi, y_hi = np.ceil(pts.max(axis=0)).astype(int) + 4
        x_lo, y_lo = max(x_lo, 0), max(y_lo, 0)
        x_hi, y_hi = min(x_hi, w), min(y_hi, h)
        if x_lo >= x_hi or y_lo >= y_hi or flux <= 0:
            return
        patch = np.zeros((y_hi - y_lo, x_hi - x_lo), np.float32)
        shift = 4
        poly = np.round((pts - [x_lo, y_lo]) * (1 << shift)).astype(np.int32)
        cv2.fillConvexPoly(patch, poly, 1.0, lineType=cv2.LINE_AA, shift=shift)
        area_px = float(patch.sum())
        if area_px <= 0:
            return
        patch = cv2.GaussianBlur(patch, (0, 0), om.PSF_SIGMA_PX)
        img[y_lo:y_hi, x_lo:x_hi] += patch * np.float32(flux / area_px)

    # ---- the frame -------------------------------------------------------------------------
    def render(self, t0: float, weights_fn, light_weights_grid: dict[str, np.ndarray]
               ) -> RenderedFrame:
        """Render the frame whose first row starts exposing at scenario time t0.

        weights_fn(row_frac) -> {state: fraction} gives one row's lighting;
        light_weights_grid gives it for the coarse grid rows.
        """
        cam = self.cam
        poses = FramePoses(self.trajectory, t0, cam.readout_ms / 1000.0,
                            cam.exposure_us / 1e6)
        albedo, shading, spec = self._background(poses, light_weights_grid)
        truth = FrameTruth()
        tapes: list[_PlacedObject] = []
        mid = poses.at(0.5, 0.5)
        spots: list[tuple[float, float, float, float, float, float]] = []
        for placed in self.objects:
            u, v, z = self.project(mid, placed.at)
            if z <= 0.02 or not np.isfinite(u):
                continue
            row = float(np.clip(v / max(cam.height - 1, 1), 0, 1))
            pose = poses.at(row, 0.5)
            u, v, z = self.project(pose, placed.at)  # rolling shutter: pose at its row
            margin = 40
            if not (-margin <= u < cam.width + margin and -margin <= v < cam.height + margin):
                continue
            self._record_truth(truth, placed, pose, u, v)
            if placed.obj.kind == "retro-tape":
                tapes.append(placed)  # drawn onto the lit surface below
                continue
            points, discs = self._emissions(placed, pose, weights_fn(row), t0 + poses.span / 2)
            for point, radius_m, disc_albedo in discs:
                pu, pv, pz = self.project(pose, point)
                if pz > 0:
                    self._paint_disc(albedo, spec, pu, pv, cam.fx * radius_m / pz, disc_albedo)
            start, end = poses.at(row, 0.0), poses.at(row, 1.0)
            for point, intensity, diameter in points:
                distance = float(np.linalg.norm(point - pose.position))
                flux = self._flux_dn(intensity, distance)
                size_px = cam.fx * diameter / max(distance, 1e-3)
                sigma = cam.point_sigma_px(distance, size_px)
                u0, v0, _ = self.project(start, point)
                u1, v1, _ = self.project(end, point)
                if np.isfinite(u0) and np.isfinite(u1):
                    spots.append((u0, v0, u1, v1, flux, sigma))
        signal = cv2.multiply(albedo, shading)
        if spec is not None:
            signal = cv2.add(signal, spec)
        for placed in tapes:
            self._draw_tape(signal, placed, poses, weights_fn)
        self._motion_blur(signal, poses)
        for spot in spots:
            self._add_spot(signal, *spot)
        image = self._sensor(signal)
        return RenderedFrame(image=image, truth=truth, pose=mid)

    def _record_truth(self, truth: FrameTruth, placed: _PlacedObject, pose: Pose,
                      u: float, v: float) -> None:
        if not (0 <= u < self.cam.width and 0 <= v < self.cam.height):
            return
        obj = placed.obj
        if obj.kind == "camera":
            view = lens_view(obj, pose, self.cam.fx, (self.cam.width, self.cam.height))
            if view.in_view:
                truth.cameras.append((obj.id, round(u, 2), round(v, 2), view.in_cone))
        else:
            truth.distractors.append((obj.id, obj.kind, round(u, 2), round(v, 2)))

    def _motion_blur(self, signal: np.ndarray, poses: FramePoses) -> None:
        center = poses.at(0.5, 0.0)
        ahead = center.to_room(np.array([0.0, 0.0, 1.0]))
        u1, v1, _ = self.project(poses.at(0.5, 1.0), ahead)
        du, dv = u1 - self.cam.cx, v1 - self.cam.cy
        length = float(np.hypot(du, dv))
        if length < 1.0 or not np.isfinite(length):
            return
        size = int(np.ceil(length)) | 1
        kernel = np.zeros((size, size), np.float32)
        c = size // 2
        cv2.line(kernel, (int(round(c - du / 2)), int(round(c - dv / 2))),
                 (int(round(c + du / 2)), int(round(c + dv / 2))), 1.0, 1, cv2.LINE_AA)
        kernel /= kernel.sum()
        cv2.filter2D(signal, -1, kernel, dst=signal, borderType=cv2.BORDER_REFLECT)

    def _sensor(self, signal: np.ndarray) -> np.ndarray:
        """Shot and read noise, 10-bit saturation, conversion to 8 bits."""
        if self.noise:
            e_per_dn = om.ELECTRONS_PER_DN_AT_UNIT_GAIN / self.cam.gain
            read_dn = om.READ_NOISE_E / e_per_dn
            variance = cv2.add(cv2.multiply(signal, 1.0 / e_per_dn), read_dn**2)
            sd = cv2.sqrt(cv2.max(variance, 0.0))
            draws = np.frombuffer(self.rng.bytes(signal.size), np.uint8).reshape(signal.shape)
            noise = cv2.LUT(draws, self._normal_table)
            signal = cv2.add(signal, cv2.multiply(sd, noise))
        signal = cv2.threshold(signal, 0.0, 0.0, cv2.THRESH_TOZERO)[1]
        return cv2.convertScaleAbs(signal, alpha=0.25)  # 1023 DN10 -> 255, saturates
