"""95 % intervals for the published figures, so a reader sees how far a rate can move:
Wilson's score interval for a proportion (recall), and the exact (Garwood) Poisson
interval for a count of events per sweep (false alerts)."""

from __future__ import annotations

import math

from scipy.stats import chi2

Z95 = 1.959964


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    """The 95 % Wilson interval of successes / trials; None with no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + Z95 ** 2 / trials
    centre = (p + Z95 ** 2 / (2 * trials)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / trials + Z95 ** 2 / (4 * trials ** 2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_rate(events: int, sweeps: int) -> tuple[float, float] | None:
    """The exact 95 % interval of a Poisson rate: events counted over this many sweeps."""
    if sweeps <= 0:
        return None
    low = chi2.ppf(0.025, 2 * events) / 2 if events > 0 else 0.0
    high = chi2.ppf(0.975, 2 * events + 2) / 2
    return float(low) / sweeps, float(high) / sweeps


def rounded(interval: tuple[float, float] | None, digits: int = 3) -> list[float] | None:
    return None if interval is None else [round(interval[0], digits), round(interval[1], digits)]
