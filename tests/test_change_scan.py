"""The change-point scan behind promotion shortfalls: false alarms at the stated rate, real falls found and dated."""

from __future__ import annotations

import numpy as np

from shopagent.tools.change_scan import scan_rate_fall

BASELINE_DAYS, PERIOD_DAYS = 28, 14


def _campaign(rng: np.random.Generator, orders_per_day: float, fall_from: int | None, fall_to: float):
    spend = rng.uniform(90, 110, BASELINE_DAYS + PERIOD_DAYS)
    rate = np.full(spend.size, orders_per_day / 100)
    if fall_from is not None:
        rate[fall_from:] *= fall_to
    return rng.poisson(rate * spend), spend


def test_steady_campaigns_raise_false_alarms_at_about_the_stated_rate():
    rng = np.random.default_rng(5)
    p_values = [scan_rate_fall(*_campaign(rng, 3.0, None, 1.0), BASELINE_DAYS, seed=k, draws=1000).p_value
                for k in range(200)]
    assert 0.01 <= np.mean(np.array(p_values) <= 0.05) <= 0.09
    assert 0.02 <= np.mean(np.array(p_values) <= 0.10) <= 0.16


def test_a_campaign_that_halved_is_found_and_dated():
    rng = np.random.default_rng(6)
    hits, dates = 0, []
    for k in range(40):
        orders, spend = _campaign(rng, 6.0, BASELINE_DAYS + 4, 0.4)
        fall = scan_rate_fall(orders, spend, BASELINE_DAYS, seed=k, draws=1000)
        hits += fall.p_value <= 0.01
        dates.append(fall.split)
    assert hits >= 36
    assert abs(np.median(dates) - (BASELINE_DAYS + 4)) <= 1


def test_the_same_data_gives_the_same_answer():
    orders, spend = _campaign(np.random.default_rng(7), 4.0, BASELINE_DAYS + 2, 0.5)
    assert scan_rate_fall(orders, spend, BASELINE_DAYS, seed=3) == scan_rate_fall(orders, spend, BASELINE_DAYS, seed=3)


def test_nothing_to_scan_gives_none():
    assert scan_rate_fall(np.zeros(42), np.full(42, 100.0), BASELINE_DAYS) is None
    assert scan_rate_fall(np.ones(10), np.full(10, 100.0), 9, min_after=3) is None


def test_a_collapse_beyond_every_simulated_draw_still_clears_a_big_shops_threshold():
    """A shop scanning 500 campaigns tests each at 0.05 / 500 = 1e-4, far below 1 / 4001."""
    spend = np.full(BASELINE_DAYS + PERIOD_DAYS, 100.0)
    orders = np.r_[np.full(BASELINE_DAYS, 10.0), np.zeros(PERIOD_DAYS)]
    fall = scan_rate_fall(orders, spend, BASELINE_DAYS, seed=1, simulate_below=1e-4)
    assert fall.p_value < 1e-4 / 10 and fall.split == BASELINE_DAYS
