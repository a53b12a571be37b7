"""`plan pricing`: contract JSON, guardrails that hold, and "cannot estimate" when the price never moved."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def plan(sample_world, runner):
    from shopagent.cli import app

    result = runner.invoke(app, ["plan", "pricing", "--db", str(sample_world.db), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def runner():
    from typer.testing import CliRunner

    return CliRunner()


def _unit_costs(world) -> dict[str, float]:
    with (world.folder / "products.csv").open(encoding="utf-8") as file:
        return {row["sku_id"]: float(row["unit_cost"]) for row in csv.DictReader(file)}


def test_json_matches_the_contract(plan):
    assert plan["objective"] == "profit"
    assert plan["recommendations"]
    for rec in plan["recommendations"]:
        assert set(rec) >= {"sku_id", "current_price", "recommended_price", "elasticity", "elasticity_ci",
                            "expected_units_change", "expected_profit_change", "reason"}
        assert rec["reason"]
        if rec["elasticity"] is not None:
            low, high = rec["elasticity_ci"]
            assert low <= rec["elasticity"] <= high


def test_most_skus_get_an_elasticity_and_some_get_a_new_price(plan):
    estimated = [rec for rec in plan["recommendations"] if rec["elasticity"] is not None]
    assert len(estimated) >= 0.8 * len(plan["recommendations"])
    assert any(rec["status"] == "change" for rec in plan["recommendations"])


def test_guardrails_hold(plan, sample_world):
    costs = _unit_costs(sample_world)
    for rec in plan["recommendations"]:
        current, new = rec["current_price"], rec["recommended_price"]
        assert abs(new / current - 1) <= 0.20 + 1e-9, rec["sku_id"]
        if rec["status"] != "change":
            assert new == current
            continue
        # never below unit cost plus the 15% minimum margin (the price paid is at most the shown price)
        assert new * (1 - 0.15) >= costs[rec["sku_id"]] - 1e-6, rec["sku_id"]
        # within 10% of the prices it has actually sold at
        assert rec["price_sold_low"] * 0.9 - 1e-6 <= new <= rec["price_sold_high"] * 1.1 + 1e-6, rec["sku_id"]
        # prices end the way the shop's prices end (the sample shop's end in 9)
        assert f"{new:.2f}".endswith("9.00"), new


def test_a_tighter_step_limit_is_respected(sample_world, cli):
    result = cli("plan", "pricing", "--db", sample_world.db, "--json", "--max-change", "0.05", "--objective", "gmv")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["objective"] == "gmv"
    for rec in data["recommendations"]:
        assert abs(rec["recommended_price"] / rec["current_price"] - 1) <= 0.05 + 1e-9


def test_unknown_sku_or_objective_is_a_usage_error(sample_world, cli):
    result = cli("plan", "pricing", "--db", sample_world.db, "--sku", "NOPE")
    assert result.exit_code == 2
    assert "NOPE" in result.output
    assert cli("plan", "pricing", "--db", sample_world.db, "--objective", "revenue").exit_code == 2


def test_same_data_same_bytes(sample_world, cli):
    first = cli("plan", "pricing", "--db", sample_world.db, "--json")
    second = cli("plan", "pricing", "--db", sample_world.db, "--json")
    assert first.stdout == second.stdout


@pytest.fixture(scope="module")
def flat_price_world(tmp_path_factory):
    """A shop in which one SKU was sold at the same price every day, with no promotion tag."""
    from shopagent.tools.importer import import_folder

    from .conftest import build_world

    world = build_world(tmp_path_factory.mktemp("flat"), seed=3, n_skus=30, n_days=120, events="none")
    path = world.folder / "price_history.csv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    flat = rows[-1]["sku_id"]  # on sale on the last day
    price = next(row["price"] for row in reversed(rows) if row["sku_id"] == flat)
    for row in rows:
        if row["sku_id"] == flat:
            row["price"], row["promo"] = price, ""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    import_folder(world.folder, world.db, replace=True)
    world.flat_sku = flat
    return world


def test_a_sku_whose_price_never_moved_cannot_be_estimated(flat_price_world, cli):
    result = cli("plan", "pricing", "--db", flat_price_world.db, "--json", "--sku", flat_price_world.flat_sku)
    assert result.exit_code == 0, result.stderr
    (rec,) = json.loads(result.stdout)["recommendations"]
    assert rec["sku_id"] == flat_price_world.flat_sku
    assert rec["status"] == "cannot_estimate"
    assert rec["elasticity"] is None and rec["elasticity_ci"] is None
    assert rec["recommended_price"] == rec["current_price"]
    assert "price" in rec["reason"] and "never changed" in rec["reason"]


def test_the_other_skus_of_that_shop_are_still_estimated(flat_price_world):
    from shopagent.tools.elasticity import estimate_elasticities, load_promo_tags
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.store import Shop

    shop = Shop(Path(flat_price_world.db))
    panel = load_panel(shop, *data_dates(shop))
    estimates = estimate_elasticities(panel, tags=load_promo_tags(shop, panel))
    assert estimates[flat_price_world.flat_sku].status == "cannot_estimate"
    others = [e for sku, e in estimates.items() if sku != flat_price_world.flat_sku and e.status == "estimated"]
    assert len(others) >= 20
    assert all(e.elasticity_ci[0] < e.elasticity < e.elasticity_ci[1] for e in others)


def test_the_human_plan_is_all_in_the_merchants_language(plan, sample_world, cli):
    """--lang zh: headings, guardrails, column names and the closing sum are Chinese, with the JSON's numbers."""
    result = cli("plan", "pricing", "--db", sample_world.db, "--lang", "zh", "--top", "3")
    assert result.exit_code == 0, result.stderr
    text = "".join(result.stdout.split())  # the terminal may wrap a sentence anywhere
    for english in ("Guardrails", "objective", "elasticity(90%)", "morerows", "pricechange(s)", "Nothinghas"):
        assert english not in text
    assert f"{int(plan['expected']['skus_changed'])}个调价" in text and "护栏" in text


def test_reasons_follow_the_language_with_the_same_numbers(plan, sample_world, cli):
    result = cli("plan", "pricing", "--db", sample_world.db, "--json", "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    chinese = json.loads(result.stdout)["recommendations"]
    english = plan["recommendations"]
    assert [r["recommended_price"] for r in chinese] == [r["recommended_price"] for r in english]
    for zh, en in zip(chinese, english, strict=True):
        assert zh["reason"] != en["reason"]
        assert any(word in zh["reason"] for word in ("维持", "涨价", "降价")), zh["reason"]
        # the same prices are quoted in both languages
        assert f"¥{zh['current_price']:,.2f}" in zh["reason"] and f"¥{en['current_price']:,.2f}" in en["reason"]


def _one_sku_plan(*, rival_hinge: float | None, rival_price: float = 102.0, elasticity: float = -0.6,
                  hinge_se: float = 0.4, elasticity_se: float = 0.12):
    """The plan for one SKU at ¥99 costing ¥40 whose weak own-price response says "raise it"."""
    from datetime import date

    import numpy as np

    from shopagent.tools.elasticity_prior import ElasticityEstimate
    from shopagent.tools.pricing import Guardrails, PriceEnding, price_plan
    from shopagent.tools.whatif_baseline import RunRates

    estimate = ElasticityEstimate(
        sku_id="S001", category="tshirt", status="estimated", elasticity=elasticity,
        elasticity_ci=(elasticity - 0.2, elasticity + 0.2), elasticity_se=elasticity_se, own_elasticity=elasticity,
        own_se=0.12, prior_weight=0.1, category_elasticity=-1.0, category_sd=0.4, competitor_elasticity=0.8,
        rival_hinge=rival_hinge, rival_hinge_se=hinge_se if rival_hinge is not None else None, rival_price=rival_price,
        days_used=150, units_used=1500, price_days_off_usual=30, price_low=89.0, price_high=129.0)
    one = np.ones(1)
    rates = RunRates(as_of=date(2026, 9, 30), days_in_stock=one * 28, units=one * 10, orders=one * 9,
                     gmv=one * 990, visitors=np.ones((1, 5)) * 50, ad_spend=one * 0, ad_gmv=one * 0,
                     log_se=one * 0.05, price=one * 99.0, paid_factor=one, on_hand=one * 100,
                     daily_budget=one * np.nan, target_roi=one * np.nan, on_sale=np.ones(1, dtype=bool), basket=1.0,
                     refund_share=one * 0)
    rails = Guardrails(max_change=0.2, min_margin=0.15, range_slack=0.1, min_gain=0.01,
                       price_ending=PriceEnding(step=10.0, offset=9.0, share=1.0, description="ends in 9"))
    plan = price_plan(["S001"], ["T"], np.array([40.0]), {"S001": estimate}, rates, skus=None, objective="profit",
                      guardrails=rails)
    return plan.recommendations[0]


def test_a_rise_across_the_rivals_price_that_the_kink_makes_unprofitable_is_refused():
    smooth = _one_sku_plan(rival_hinge=None)
    # without a kink the weak response says raise (to ¥109, the step limit), past the rival's ¥102: flagged
    assert smooth.recommended_price == 109.0 and smooth.crosses_rival
    assert "competitor's ¥102.00" in smooth.reason and "watch conversion" in smooth.reason
    kinked = _one_sku_plan(rival_hinge=-4.0)
    # with shoppers leaving fast above the rival's price, the rise stops under it and says why
    assert kinked.recommended_price <= 102.0 and not kinked.crosses_rival
    assert "rival_price" in kinked.limited_by and "not raised above the competitor's ¥102.00" in kinked.reason
    assert kinked.expected_profit_change >= 0
    # a kink that pays on average but would lose at its unfavourable 90% end is not worth crossing for
    doubtful = _one_sku_plan(rival_hinge=-0.3, elasticity=-0.3, hinge_se=1.5)
    assert doubtful.recommended_price == 99.0 and "rival_price" in doubtful.limited_by


def test_a_change_that_pays_only_at_the_estimate_keeps_todays_price_and_says_why():
    sure = _one_sku_plan(rival_hinge=None, rival_price=500.0)
    assert sure.status == "change" and sure.recommended_price == 109.0
    # the same estimate with an elasticity as likely to be -2 as -0.6: the rise could well lose profit
    unsure = _one_sku_plan(rival_hinge=None, rival_price=500.0, elasticity_se=1.2)
    assert unsure.status == "keep" and unsure.recommended_price == 99.0
    assert "confidence" in unsure.limited_by and "not with 90% confidence" in unsure.reason


def test_a_rise_across_the_rivals_price_that_still_pays_is_allowed_with_its_kink_counted():
    mild = _one_sku_plan(rival_hinge=-0.3, elasticity=-0.3)
    assert mild.crosses_rival and mild.recommended_price > 102.0 and "rival_price" not in mild.limited_by
    # the expected units count the kink: less than the own-price response alone would give
    own_only = (mild.recommended_price / 99.0) ** -0.3 - 1
    assert mild.expected_units_change < own_only


def test_a_shop_without_a_kink_keeps_the_smooth_response_by_its_own_held_out_fit(plan):
    from shopagent.tools.elasticity import KINK_MARGIN

    form = plan["method"]["demand_form"]
    assert form["form"] == "smooth" and form["skus_compared"] > 0
    # the kink saves no more held-out deviance than its one extra parameter is worth
    assert form["heldout_deviance_kinked"] > form["heldout_deviance_smooth"] - KINK_MARGIN - 0.1
    assert all(r["rival_hinge"] is None for r in plan["recommendations"])


def test_the_plan_reports_its_back_test(plan):
    backtest = plan["method"]["backtest"]
    assert len(backtest["origins"]) == 3 and max(backtest["origins"]) < plan["as_of"]
    assert backtest["mape"] < 0.3 and abs(backtest["bias"]) < 0.1 and backtest["interval_scale"] > 0
    # the calibrated intervals' coverage, each origin scored at the scale the others give, is reported
    assert 0.5 <= backtest["calibrated_coverage"] <= 1.0


def test_a_sandwich_covariance_that_is_not_positive_definite_never_gives_a_negative_variance():
    """HC3 covariances of own price, rival price and kink can be indefinite; the posterior must stay sane."""
    from types import SimpleNamespace

    import numpy as np

    from shopagent.tools.elasticity_prior import _posterior

    cov = np.zeros((1, 5, 5))
    cov[0, 1:3, 1:3] = [[0.04, 0.05], [0.05, 0.04]]  # correlation above 1: indefinite
    cov[0, 4, 4] = 0.5
    fit = SimpleNamespace(beta=np.array([[0.0, -1.5, 0.8, 0.0, -2.0]]), cov=cov,
                          active=np.array([[True, True, True, False, True]]))
    post = _posterior(fit, 0, {1: (-1.2, 0.25), 2: (0.7, 0.2), 4: (-2.5, 0.8)})
    assert all(variance > 0 and np.isfinite(mean) for mean, variance in post.values())


def test_a_sku_always_dearer_than_its_rival_does_not_read_the_shops_kink_as_its_own_elasticity():
    """Fitted without its own kink, its smooth price coefficient is elasticity + kink; the shop's kink comes out."""
    from types import SimpleNamespace

    import numpy as np

    from shopagent.tools.elasticity_prior import _unabsorb_kink

    beta = np.array([[0.0, -1.2 - 2.5, 0.8 + 2.5, 0.0, 0.0]])  # true elasticity -1.2, kink -2.5
    loading = np.array([[0.0, 1.0, -1.0, 0.0, 0.0]])  # always above: the hinge is own price minus rival's
    fit = SimpleNamespace(beta=beta, cov=np.eye(5)[None] * 0.01, hinge_loading=loading)
    fixed = _unabsorb_kink(fit, np.array([-2.5]), np.array([0.09]))
    assert np.allclose(fixed.beta[0, 1:3], [-1.2, 0.8])
    # the kink's own uncertainty is carried into the elasticity's
    assert np.isclose(fixed.cov[0, 1, 1], 0.01 + 0.09)


def test_skus_whose_price_moves_with_their_rivals_do_not_stop_the_shops_fit():
    # three SKUs of an alt_shop shop (seed 102, no events) whose own and rival prices move together: their Newton
    # systems turn singular, which used to raise LinAlgError out of `shopagent diagnose` and `plan pricing`
    import numpy as np

    from shopagent.tools.elasticity import _poisson_fit

    saved = np.load(Path(__file__).parent / "collinear_price_skus.npz")
    beta, hessian = _poisson_fit(saved["design"], saved["units"], saved["mask"], saved["offset"],
                                 saved["active"], saved["start"])
    assert np.isfinite(beta).all() and np.isfinite(hessian).all()


def test_a_sku_whose_price_always_moves_with_its_rivals_gets_a_finite_fit_that_shrinkage_can_settle():
    # own and rival's log prices identical every day: the data fix only their sum (-1.5 here); the weak slope
    # prior keeps the pair finite, and the reported covariance leaves the unidentified difference as uncertain as
    # that prior, so the category's elasticity and the shop's cross-elasticity decide the split, not the fit
    import numpy as np

    from shopagent.tools.elasticity import SLOPE_PRIOR_SD, _poisson_fit, _sandwich

    rng = np.random.default_rng(7)
    days = 120
    log_price = np.repeat(rng.choice([-0.1, 0.0, 0.08], size=days // 4), 4)
    design = np.zeros((1, days, 5))
    design[0, :, 0], design[0, :, 1], design[0, :, 2] = 1.0, log_price, log_price
    offset = np.full((1, days), np.log(40.0))
    units = rng.poisson(np.exp(offset + (-1.5) * log_price))[None, 0].astype(float)
    mask = np.ones((1, days), dtype=bool)
    active = np.array([[True, True, True, False, False]])
    beta, hessian = _poisson_fit(design, units, mask, offset, active, np.zeros((1, 5)))
    own, rival = beta[0, 1], beta[0, 2]
    assert abs(own + rival - (-1.5)) < 0.3  # the sum the data tell
    assert abs(own - rival) < 1.0  # the prior settles the rest near an even split, not at +-500
    cov = _sandwich(design, units, mask, offset, beta, hessian, active)
    difference = np.array([0.0, 1.0, -1.0, 0.0, 0.0])
    total = np.array([0.0, 1.0, 1.0, 0.0, 0.0])
    assert difference @ cov[0] @ difference > 0.5 * 2 * SLOPE_PRIOR_SD**2  # as uncertain as the prior says
    assert total @ cov[0] @ total < 0.1  # the sum stays as sure as the data make it


def test_the_category_prior_is_not_pulled_towards_zero_by_the_skus_the_fits_weak_prior_shrank():
    # five SKUs whose own price history pins their elasticity near -2.5, and three whose history says so little
    # that the fit's weak zero-mean prior dragged them to -1: the category the thin ones borrow from is the
    # informed SKUs' -2.5, not a mean pulled towards 0 by the prior itself
    from types import SimpleNamespace

    import numpy as np

    from shopagent.tools.elasticity import SLOPE_PRIOR_SD
    from shopagent.tools.elasticity_prior import shrink

    informed, thin = 5, 3
    n = informed + thin
    beta = np.zeros((n, 5))
    beta[:, 1] = [-2.5 + 0.01 * k for k in range(informed)] + [-1.0] * thin
    cov = np.zeros((n, 5, 5))
    cov[:, 1, 1] = [0.25] * informed + [2.0] * thin  # 2.0 / SLOPE_PRIOR_SD**2: the prior weighs an eighth
    active = np.zeros((n, 5), dtype=bool)
    active[:, :2] = True
    days = 60
    fit = SimpleNamespace(
        beta=beta, cov=cov, active=active, identified=np.ones(n, dtype=bool), reasons=[None] * n,
        usable=np.ones((n, days), dtype=bool), days_used=np.full(n, days), units_used=np.full(n, 300.0),
        price_days=np.full(n, 20), form=None, tracked=np.zeros(n, dtype=bool), hinge_loading=None, hessian=None,
        slope_prior=active * np.array([0, 1, 1, 0, 1]) / SLOPE_PRIOR_SD**2)
    catalog = SimpleNamespace(sku_ids=[f"S{k:03d}" for k in range(n)], categories=["tops"] * n)
    panel = SimpleNamespace(catalog=catalog, price=np.full((n, days), 99.0),
                            competitor_price=np.full((n, days), np.nan))
    estimates = shrink(fit, panel)
    thin_sku = estimates[f"S{n - 1:03d}"]
    assert abs(thin_sku.category_elasticity - (-2.48)) < 0.03
    # and it borrows most of its elasticity from there
    assert thin_sku.elasticity < -2.0


def test_shrinkage_starts_from_what_a_thinly_priced_skus_own_data_say_not_from_the_weak_prior_s_pull():
    # a SKU with few sales and small price moves: the fit's weak zero-mean slope prior pulls its elasticity
    # towards 0; shrinkage takes that pull back out (its data outweigh the prior) before the category's prior
    # acts, recovering the unpenalised estimate and its sandwich variance
    from types import SimpleNamespace

    import numpy as np

    import shopagent.tools.elasticity as elasticity
    from shopagent.tools.elasticity_prior import _without_weak_prior

    rng = np.random.default_rng(11)
    days = 150
    log_price = np.repeat(rng.choice([-0.06, 0.0, 0.05], size=days // 5), 5)
    design = np.zeros((1, days, 5))
    design[0, :, 0], design[0, :, 1] = 1.0, log_price
    offset = np.full((1, days), np.log(1.5))
    units = rng.poisson(np.exp(offset + (-3.0) * log_price)).astype(float)
    mask = np.ones((1, days), dtype=bool)
    active = np.array([[True, True, False, False, False]])

    def fitted(prior: np.ndarray) -> SimpleNamespace:
        beta, hessian = elasticity._poisson_fit(design, units, mask, offset, active, np.zeros((1, 5)))
        cov = elasticity._sandwich(design, units, mask, offset, beta, hessian, active)
        return SimpleNamespace(beta=beta, cov=cov, hessian=hessian, active=active, slope_prior=prior)

    penalised = fitted(elasticity._slope_precision(active))
    original = elasticity._slope_precision
    elasticity._slope_precision = lambda active: np.zeros(active.shape)
    try:
        unpenalised = fitted(np.zeros((1, 5)))
    finally:
        elasticity._slope_precision = original
    assert abs(penalised.beta[0, 1] - unpenalised.beta[0, 1]) > 0.05  # the prior did pull it
    recovered = _without_weak_prior(penalised)
    assert abs(recovered.beta[0, 1] - unpenalised.beta[0, 1]) < 0.02
    assert np.isclose(recovered.cov[0, 1, 1], unpenalised.cov[0, 1, 1], rtol=0.1)


def test_a_sku_whose_paid_clicks_buy_less_keeps_its_elasticity(sample_world):
    """Three times the paid visitors for the same orders (clicks that rarely buy) must not read as a weaker price
    response: the SKU's traffic is weighted by its own channels' conversion, not only the shop's."""
    from copy import copy

    import numpy as np

    from shopagent.tools.elasticity import fit_demand, load_promo_tags, sellable_days, sku_channel_weights
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.schema import CHANNELS
    from shopagent.tools.store import Shop

    shop = Shop(sample_world.db)
    panel = load_panel(shop, *data_dates(shop))
    tags = load_promo_tags(shop, panel)
    fit = fit_demand(panel, tags=tags)
    paid = CHANNELS.index("promotion")
    row = next(row for row in np.argsort(-panel.visitors[:, :, paid].sum(axis=1), kind="stable")
               if fit.identified[row])
    diluted = copy(panel)
    diluted.visitors = panel.visitors.copy()
    diluted.visitors[row, :, paid] *= 3
    weights = sku_channel_weights(diluted, sellable_days(diluted))
    others = np.delete(np.arange(len(CHANNELS)), paid)
    # its paid visitors now convert far below its other channels, and the weights say so
    assert weights[row, paid] < 0.5 * weights[row, others].mean()
    refit = fit_demand(diluted, tags=tags)
    # weighted by the shop's rates the estimate moved from -2.41 to -2.01
    assert abs(refit.beta[row, 1] - fit.beta[row, 1]) < 0.1


def test_kinks_too_noisy_to_measure_one_by_one_keep_the_spread_the_data_cannot_rule_out():
    """Forty SKUs' kinks spread by 0.7, each estimated from a few days above the rival's (standard errors 1-3):
    the point estimate of the spread sits at its floor, which would report every SKU's kink as the shop's to
    within +-0.1; the posterior spread stays near the real one. Measured precisely, the two agree."""
    import numpy as np

    from shopagent.tools.elasticity_prior import MIN_TAU, _paule_mandel, _posterior_spread

    rng = np.random.default_rng(7)
    true = rng.normal(-2.5, 0.7, 40)
    se = rng.uniform(1.0, 3.0, 40)
    noisy = true + se * rng.standard_normal(40)
    one_group = np.zeros(40, dtype=int)
    assert _paule_mandel(noisy, se**2, one_group, 1) == pytest.approx(MIN_TAU**2)
    assert 0.4 < np.sqrt(_posterior_spread(noisy, se**2)) < 1.2
    precise = true + 0.05 * rng.standard_normal(40)
    point, posterior = _paule_mandel(precise, np.full(40, 0.05**2), one_group, 1), _posterior_spread(
        precise, np.full(40, 0.05**2))
    assert np.sqrt(posterior) == pytest.approx(np.sqrt(point), rel=0.1)
