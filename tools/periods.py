"""Analysis periods: the last N days of data (never the wall clock) against the N before, or a year before."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shopagent.tools.errors import RequestError, ShopError

Compare = Literal["previous", "yoy"]


class Period(BaseModel):
    """The period analysed and the period it is compared with (both inclusive)."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    compare_start: date
    compare_end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def resolve_period(*, first_date: date, last_date: date, days: int | None = None, start: date | None = None,
                   end: date | None = None, compare: Compare = "previous", default_days: int = 14) -> Period:
    """Turn --days / --start --end / --compare into dates checked against the data's first and last day."""
    if days is not None and (start is not None or end is not None):
        raise RequestError("give either --days or --start/--end, not both")
    if (start is None) != (end is None) and days is None:
        end = end or last_date
        start = start or end - timedelta(days=default_days - 1)
    if start is None or end is None:
        length = days or default_days
        if length < 1:
            raise RequestError(f"--days must be at least 1 (got {length})")
        end = last_date
        start = end - timedelta(days=length - 1)
    if start > end:
        raise RequestError(f"the period starts ({start}) after it ends ({end})")
    if end > last_date or start < first_date:
        raise ShopError(f"the period {start}..{end} is outside the data, which runs {first_date}..{last_date}")
    length = (end - start).days + 1
    if compare == "previous":
        compare_end = start - timedelta(days=1)
        compare_start = compare_end - timedelta(days=length - 1)
    else:
        compare_start = _year_before(start)
        compare_end = compare_start + timedelta(days=length - 1)
    if compare_start < first_date:
        need = "a year before the period" if compare == "yoy" else f"the {length} days before the period"
        remedy = "shorten --days or use --compare previous" if compare == "yoy" else "shorten or move the period"
        raise ShopError(f"comparing needs {need} ({compare_start}..{compare_end}), but the data starts on "
                        f"{first_date}; {remedy}")
    return Period(start=start, end=end, compare_start=compare_start, compare_end=compare_end)


def _year_before(day: date) -> date:
    # same weekday one year earlier (364 days) keeps weekday patterns comparable
    return day - timedelta(days=364)
