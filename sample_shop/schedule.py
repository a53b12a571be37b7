"""The shop's calendar: festivals (618, double11), coupon weekends, seasonality and weekday patterns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .models import CATEGORIES, CHANNELS, DayMultipliers

NO_TAG, TAG_618, TAG_DOUBLE11, TAG_COUPON = 0, 1, 2, 3
PROMO_TAGS = ("", "618", "double11", "coupon")

# (amplitude, peak day of year): summer tees and dresses, winter knitwear, flat beauty
SEASONALITY = {
    "dress": (0.25, 175),
    "jacket": (0.35, 310),
    "tshirt": (0.35, 200),
    "pants": (0.08, 280),
    "knitwear": (0.40, 350),
    "skincare": (0.08, 340),
    "makeup": (0.06, 320),
}
WEEKDAY = (0.96, 0.95, 0.96, 0.97, 1.0, 1.08, 1.08)
# how strongly each organic channel feels a platform festival's traffic boost
FESTIVAL_WEIGHT = {"search": 1.0, "recommend": 1.2, "live": 1.5, "other": 0.8}
# the shop streams live on Tuesday, Thursday and weekends
LIVE_SCHEDULE = (0.5, 1.5, 0.5, 1.5, 0.5, 1.5, 1.5)
PREHEAT_CONVERSION = 0.85
PREHEAT_ADD_TO_CART = 1.6


def _festival_days(year: int) -> list[tuple[date, int, float, bool]]:
    """(day, tag, traffic boost, final-days flag) for both festivals in `year`."""
    out = []
    for day_no in range(1, 19):
        boost = {1: 1.6, 16: 1.3, 17: 1.5, 18: 2.0}.get(day_no, 1.15)
        out.append((date(year, 6, day_no), TAG_618, boost, day_no >= 16))
    for day_no in range(1, 12):
        boost = {1: 1.8, 9: 1.2, 10: 1.4, 11: 2.6}.get(day_no, 1.1)
        out.append((date(year, 11, day_no), TAG_DOUBLE11, boost, day_no >= 9))
    return out


def _preheat_days(year: int) -> list[date]:
    """Days before a festival when shoppers add to cart and wait for the discount."""
    first = [date(year, 5, 24) + timedelta(days=k) for k in range(8)]
    second = [date(year, 10, 20) + timedelta(days=k) for k in range(12)]
    return first + second


def _hangover_days(year: int) -> list[date]:
    return [date(year, 6, 19) + timedelta(days=k) for k in range(4)] + [
        date(year, 11, 12) + timedelta(days=k) for k in range(4)
    ]


@dataclass(frozen=True)
class Calendar:
    """Days of the simulation and what kind of day each is."""

    start: date
    end: date
    n_days: int
    weekday: np.ndarray
    festival: np.ndarray
    festival_final: np.ndarray
    festival_boost: np.ndarray
    preheat: np.ndarray
    hangover: np.ndarray
    coupon_day: np.ndarray
    weekend_id: np.ndarray

    @property
    def dates(self) -> list[date]:
        """Every simulated date."""
        return [self.start + timedelta(days=k) for k in range(self.n_days)]

    def index(self, day: date) -> int:
        """Day index of a date."""
        return (day - self.start).days


def build_calendar(end: date, n_days: int) -> Calendar:
    """Lay out `n_days` days ending on `end`."""
    start = end - timedelta(days=n_days - 1)
    days = [start + timedelta(days=k) for k in range(n_days)]
    weekday = np.array([d.weekday() for d in days])
    festival = np.zeros(n_days, dtype=np.int8)
    final = np.zeros(n_days, dtype=bool)
    boost = np.ones(n_days)
    preheat = np.zeros(n_days, dtype=bool)
    hangover = np.zeros(n_days, dtype=bool)
    for year in range(start.year, end.year + 1):
        for day, tag, day_boost, is_final in _festival_days(year):
            if start <= day <= end:
                k = (day - start).days
                festival[k], boost[k], final[k] = tag, day_boost, is_final
        for day in _preheat_days(year):
            if start <= day <= end:
                preheat[(day - start).days] = True
        for day in _hangover_days(year):
            if start <= day <= end:
                hangover[(day - start).days] = True
    coupon = (weekday >= 5) & (festival == NO_TAG) & ~preheat
    # Saturday and the following Sunday share one weekend id
    weekend_id = np.array([(d - date(2000, 1, 1)).days // 7 for d in days])
    return Calendar(start, end, n_days, weekday, festival, final, boost, preheat, hangover, coupon, weekend_id)


def day_multipliers(cal: Calendar) -> DayMultipliers:
    """Shop-level daily multipliers stored in the truth."""
    doy = np.array([d.timetuple().tm_yday for d in cal.dates])
    season = {}
    for category in CATEGORIES:
        amplitude, peak = SEASONALITY[category]
        season[category] = _round(1.0 + amplitude * np.cos(2 * np.pi * (doy - peak) / 365.25))
    weekday = _round(np.array(WEEKDAY)[cal.weekday])
    hangover = np.where(cal.hangover, 0.9, 1.0)
    channel_boost = {}
    for channel in CHANNELS:
        if channel == "promotion":
            continue
        boost = 1.0 + (cal.festival_boost - 1.0) * FESTIVAL_WEIGHT[channel]
        if channel == "live":
            boost = boost * np.array(LIVE_SCHEDULE)[cal.weekday]
        channel_boost[channel] = _round(boost * hangover)
    conversion = _round(np.where(cal.preheat, PREHEAT_CONVERSION, 1.0))
    return DayMultipliers(season=season, weekday=weekday, channel_boost=channel_boost, conversion=conversion)


def _round(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.round(values, 4)]
