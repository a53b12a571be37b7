"""Calendar of the simulated shop: dates, festivals, weekly and yearly cycles."""

from datetime import date, timedelta

import numpy as np

CHANNELS = ("search", "recommend", "promotion", "live", "other")
PAID = 2
# no ordinary merchant or competitor change happens in the last QUIET_DAYS days, so the
# last 28 days of a shop without planted causes only hold noise and regular cycles
QUIET_DAYS = 35

# tag, first (month, day), last (month, day), traffic boost, peak days at the end, peak boost
FESTIVALS = (
    ("38", (3, 4), (3, 8), 1.2, 1, 1.5),
    ("618", (5, 31), (6, 18), 1.2, 3, 1.9),
    ("99", (9, 5), (9, 9), 1.2, 1, 1.5),
    ("double11", (10, 31), (11, 11), 1.3, 2, 2.2),
    ("double12", (12, 9), (12, 12), 1.2, 1, 1.5),
)

# Monday..Sunday multipliers of impressions per channel
WEEKDAY = {
    "search": (0.96, 0.97, 0.98, 0.99, 1.00, 1.06, 1.04),
    "recommend": (0.92, 0.94, 0.96, 0.98, 1.03, 1.10, 1.07),
    "promotion": (0.97, 0.98, 0.98, 1.00, 1.01, 1.04, 1.02),
    "live": (1.0,) * 7,
    "other": (1.02, 1.01, 1.00, 1.00, 0.99, 0.99, 0.99),
}


def last_day_for(seed: int) -> date:
    """Last date of the history; late summer, after 618 and before 99."""
    return date(2025, 8, 17) + timedelta(days=seed % 14)


def history_dates(last_day: date, n_days: int) -> list[date]:
    """The n_days dates ending on last_day."""
    return [last_day - timedelta(days=n_days - 1 - i) for i in range(n_days)]


def festival_calendar(dates: list[date], quiet_from: int) -> tuple[list[str], np.ndarray]:
    """Festival tag and shop-wide traffic multiplier per day (none inside the quiet window)."""
    tags = [""] * len(dates)
    boost = np.ones(len(dates))
    for i, day in enumerate(dates[:quiet_from]):
        for tag, first, last, lift, peak_days, peak_lift in FESTIVALS:
            start = date(day.year, *first)
            end = date(day.year, *last)
            if start <= day <= end:
                tags[i] = tag
                boost[i] = peak_lift if (end - day).days < peak_days else lift
    return tags, boost


def yearly_cycle(dates: list[date], peak_doy: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """Seasonal demand multiplier per day and SKU, peaking on peak_doy."""
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)[:, None]
    return 1.0 + amplitude[None, :] * np.cos(2 * np.pi * (doy - peak_doy[None, :]) / 365.25)


def weekday_factors(dates: list[date]) -> np.ndarray:
    """Impressions multiplier per day and channel (days x 5)."""
    dow = np.array([d.weekday() for d in dates])
    table = np.array([WEEKDAY[c] for c in CHANNELS]).T
    return table[dow]
