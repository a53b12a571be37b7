"""The promotion curves' fast paths against plain per-SKU versions of the same statistics.

The clicks fit works on all SKUs at once (the demand power's least squares), on one exponential per
(shape, bin) (the grid likelihood) and on blocks of SKUs (the category prior's EM). Each is checked here
against the straightforward computation it replaced, on data where the answer is not trivial.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from shopagent.tools import promotion_click_fit as click_fit
from shopagent.tools.promotion_history import PromotedDays
from tests.conftest import write_folder


def promoted(n_rows: int = 6, n_days: int = 60, seed: int = 3) -> PromotedDays:
    """Promoted days whose clicks follow spend^0.6 x demand^0.8, with noise and some days off."""
    rng = np.random.default_rng(seed)
    spend = rng.lognormal(4.0, 0.5, (n_rows, n_days))
    log_demand = rng.normal(0.0, 0.3, (n_rows, n_days))
    clicks = rng.poisson(np.exp(0.6 * np.log(spend) + 0.8 * log_demand)).astype(float)
    usable = rng.random((n_rows, n_days)) > 0.1
    usable[-1, 20:] = False  # a SKU with too few days to count
    age = np.broadcast_to(np.arange(n_days)[::-1], (n_rows, n_days))
    zeros = np.zeros((n_rows, n_days))
    return PromotedDays(rows=np.arange(n_rows), usable=usable, spend=spend, clicks=clicks, gmv=zeros, orders=zeros,
                        log_price=zeros, log_competitor=zeros, age=age, log_demand=log_demand)


def reference_power(data: PromotedDays, weight: np.ndarray, log_spend: np.ndarray, supply: np.ndarray) -> float:
    """The demand power as it was computed before: one weighted least squares per SKU."""
    slopes, precisions = [], []
    for row in range(data.rows.size):
        days = (weight[row] > 0) & (data.clicks[row] > 0)
        if days.sum() < 14 or np.ptp(data.log_demand[row, days]) < 0.1:
            continue
        w = weight[row, days]
        design = np.column_stack([np.ones(days.sum()), log_spend[row, days], data.log_demand[row, days]])
        y = np.log(data.clicks[row, days]) - supply[days]
        inverse = np.linalg.inv(design.T @ (design * w[:, None]))
        beta = inverse @ (design.T @ (w * y))
        residual = y - design @ beta
        slopes.append(beta[2])
        precisions.append(1.0 / (float((w * residual**2).sum() / max(w.sum() - 3.0, 1.0)) * inverse[2, 2]))
    return float(np.clip(np.average(slopes, weights=precisions), 0.0, 1.5))


def test_demand_power_matches_one_fit_per_sku():
    data = promoted()
    weight = click_fit.recency(data.age, click_fit.CURVE_HALF_LIFE) * data.usable
    log_spend = np.log(data.spend)
    supply = np.random.default_rng(5).normal(0.0, 0.05, data.spend.shape[1])
    power = click_fit.demand_power(data, weight, log_spend, supply)
    assert power == pytest.approx(reference_power(data, weight, log_spend, supply), rel=1e-10)
    assert 0.5 < power < 1.1  # the planted 0.8, within the noise of six SKUs


def test_demand_power_is_zero_when_demand_never_moved():
    data = promoted()
    flat = PromotedDays(**{**data.__dict__, "log_demand": np.zeros_like(data.log_demand)})
    weight = click_fit.recency(flat.age, click_fit.CURVE_HALF_LIFE) * flat.usable
    assert click_fit.demand_power(flat, weight, np.log(flat.spend)) == 0.0


def test_grid_likelihood_matches_the_direct_sum():
    rng = np.random.default_rng(11)
    n_rows, n_days = 3, 40
    x = rng.normal(0.0, 0.4, (n_rows, n_days))
    clicks = rng.poisson(50.0, (n_rows, n_days)).astype(float)
    weight = rng.random((n_rows, n_days)) * (rng.random((n_rows, n_days)) > 0.2)
    demand = np.exp(rng.normal(0.0, 0.1, (n_rows, n_days)))
    breaks = np.array([n_days, 25, n_days])  # row 1 has a level shift from day 25
    loglik, levels, _ = click_fit._grid_loglik(x, clicks, weight, breaks, demand)
    # the direct sum over days of the same binned days: every day at its bin's weighted mean log spend
    for row in range(n_rows):
        live = weight[row] > 0
        segment = (np.arange(n_days) >= breaks[row])[live]
        bins = np.round(x[row, live] / click_fit.BIN)
        w, y, d = weight[row, live], clicks[row, live], demand[row, live]
        same = (bins[:, None] == bins[None, :]) & (segment[:, None] == segment[None, :])
        x_bin = (same * (w * x[row, live])[None, :]).sum(1) / (same * w[None, :]).sum(1)
        for k_index in (0, 12, 24):
            for h_index in (0, 35, 69):
                z = click_fit.SHAPES[k_index] * x_bin - click_fit.HEADROOM[h_index]
                log_g = -np.logaddexp(0.0, -z)
                total = float((w * y * log_g).sum())
                for part, level in ((~segment, levels[0]), (segment, levels[1])):
                    if not part.any():
                        continue
                    y_sum = float((w * y)[part].sum())
                    c = y_sum / float((w * d * np.exp(log_g))[part].sum())
                    assert level[row, k_index, h_index] == pytest.approx(c, rel=1e-10)
                    total += y_sum * np.log(c) - y_sum
                assert loglik[row, k_index, h_index] == pytest.approx(total, rel=1e-10, abs=1e-8)


def test_category_prior_does_not_depend_on_the_block_size(monkeypatch):
    rng = np.random.default_rng(2)
    n = 70
    loglik = -rng.gamma(2.0, 20.0, (n, click_fit.SHAPES.size, click_fit.HEADROOM.size))
    offset = rng.normal(0.0, 1.0, n)
    offset[::9] = np.nan  # SKUs without organic sales keep the wide headroom prior
    categories = [f"c{i % 4}" for i in range(n)]
    prior, share = click_fit._category_prior(loglik, categories, offset)
    monkeypatch.setattr(click_fit, "EM_BLOCK", n)
    whole_prior, whole_share = click_fit._category_prior(loglik, categories, offset)
    assert np.array_equal(prior, whole_prior) and np.array_equal(share, whole_share)
    assert np.ptp(share) > 0  # the prior's share differs across SKUs: the check is not of a constant


def test_an_order_listing_a_sku_on_two_lines_counts_once(cli, mini_tables, tmp_path):
    """The panel counts lines, not distinct orders, only when a cheap check rules out a repeated (order, SKU)."""
    from shopagent.tools.panel import load_panel
    from shopagent.tools.store import Shop

    mini_tables["order_items"].append("O1,S001,2,89.00")  # O1 already lists S001 once, quantity 1
    folder = write_folder(tmp_path / "repeated", mini_tables)
    db = tmp_path / "shop.duckdb"
    assert cli("data", "import", folder, "--db", db).exit_code == 0
    panel = load_panel(Shop(db), date(2026, 3, 1), date(2026, 3, 2))
    assert panel.orders[0, 0] == 1 and panel.units[0, 0] == 3 and panel.gmv[0, 0] == 267.0


def test_a_panel_without_order_day_refunds_is_the_full_panel_otherwise(sample_db):
    """The plan skips the refunds-to-orders joins; every fact it does read is the full load's, and the skipped ones
    are NaN rather than a plausible zero."""
    import dataclasses

    from shopagent.tools.panel import ShopPanel, data_dates, load_panel
    from shopagent.tools.store import Shop

    shop = Shop(sample_db)
    first, last = data_dates(shop)
    full = load_panel(shop, last - timedelta(days=59), last)
    light = load_panel(shop, last - timedelta(days=59), last, order_day_refunds=False)
    skipped = {"refund_count_by_order_day", "refund_amount_by_order_day", "refund_count_by_reason",
               "refund_amount_by_reason", "refund_lag_cdf", "refund_lag_days", "refund_reasons"}
    for item in dataclasses.fields(ShopPanel):
        if item.name not in skipped | {"memo", "catalog"}:  # the catalog is one query, shared by both
            full_value, light_value = getattr(full, item.name), getattr(light, item.name)
            if isinstance(full_value, np.ndarray):
                assert np.array_equal(full_value, light_value, equal_nan=True), item.name
            else:
                assert full_value == light_value, item.name
    assert full.refund_count_by_order_day.sum() > 0 and np.isnan(light.refund_count_by_order_day).all()
    assert np.isnan(light.refund_lag_cdf).all() and light.refund_reasons == ()
