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


def _wandering_reach(rng: np.random.Generator, clicks_per_day: float, wander: float, fall_to: float = 1.0):
    """A big campaign's clicks against what its spend bought: the period's level strays from the baseline's by a
    lognormal factor (its audience's season), and may also really fall from the period's fifth day."""
    bought = rng.uniform(0.9, 1.1, BASELINE_DAYS + PERIOD_DAYS) * clicks_per_day
    rate = np.ones(bought.size)
    rate[BASELINE_DAYS:] *= np.exp(rng.normal(0.0, wander))
    rate[BASELINE_DAYS + 4:] *= fall_to
    return rng.poisson(rate * bought), bought


def test_a_big_campaigns_wandering_reach_is_not_a_fall_once_its_spread_is_counted():
    """400 clicks a day are counted to 1%; a reach that wanders 6% between fortnights is no fall for that."""
    rng = np.random.default_rng(8)
    shops = [_wandering_reach(rng, 400.0, 0.06) for _ in range(200)]
    counted = [scan_rate_fall(clicks, bought, BASELINE_DAYS, spread=0.06, seed=k, draws=1000).p_value
               for k, (clicks, bought) in enumerate(shops)]
    ignored = [scan_rate_fall(clicks, bought, BASELINE_DAYS, seed=k, draws=1000).p_value
               for k, (clicks, bought) in enumerate(shops)]
    assert np.mean(np.array(counted) <= 0.05) <= 0.09
    assert np.mean(np.array(ignored) <= 0.05) >= 0.2  # the wander alone, read as counts' noise


def test_a_big_campaigns_reach_that_collapsed_is_still_found_beside_its_wander():
    rng = np.random.default_rng(9)
    hits = sum(scan_rate_fall(*_wandering_reach(rng, 400.0, 0.06, fall_to=0.6), BASELINE_DAYS, spread=0.06,
                              seed=k, draws=1000).p_value <= 0.01 for k in range(40))
    assert hits >= 36


def test_the_shops_own_reach_wander_is_read_from_its_history():
    """Campaigns whose reach strays 6% a fortnight show it between adjacent fortnights (6% x sqrt 2); campaigns
    that only count Poisson noise show none."""
    from shopagent.tools.detect_promotion import _rate_spread

    rng = np.random.default_rng(10)
    bought = rng.uniform(200, 600, (30, 1))[:, [0] * 98]
    level = np.repeat(np.exp(rng.normal(0.0, 0.06, (30, 7))), 14, axis=1)
    assert abs(_rate_spread(rng.poisson(bought * level), bought, 1.0) - 0.06 * np.sqrt(2)) < 0.03
    assert _rate_spread(rng.poisson(bought), bought, 1.0) == 0.0
