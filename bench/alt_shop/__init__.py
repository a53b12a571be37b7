"""alt_shop: an independent Tmall/Taobao-style shop simulator (apparel + beauty) for benchmarking shopagent.

Generative mechanics, per day t and SKU:
- Organic impressions per channel (search, recommend, live, other) = base x weekday cycle x yearly
  category season x slow trend x launch ramp x festival boost x noise (shop-wide, AR(1) per SKU, per
  channel). Recommendation impressions also follow recent sales ((velocity / usual) ** 0.3); a sold-out
  item keeps 15% of its impressions and sells nothing. Visitors and add-to-cart are thinned impressions.
- Conversion is a logit choice: our utility alpha - b * log(price / reference) against a competitor whose
  pull is w * (competitor / reference) ** -b_c, times intent per channel, times exp(kappa * (displayed
  rating - usual)) and exp(0.35 * (experience score - usual)). The displayed rating is the recent reviews'
  mean (6-day half-life), so a bad batch shows in reviews first and in conversion after.
- Orders carry 1-3 units; stock is an order-up-to policy reviewed weekly with a lead time, rush orders
  when short, and supplier failures that hold deliveries back until a release day.
- Full-site promotion: paid clicks = clicks_max x (1 - exp(-(spend / scale) ** shape)); paid visitors
  convert at the item conversion x paid_quality. The platform predicts GMV with a slowly learned value per
  click (21-day half-life) and spends the whole budget if the predicted ROI there holds the target, else
  the largest spend that holds it (a token 4% when none can). Merchants change budgets and targets a few
  times, before the last 35 days. Each shop may instead draw another ad mechanism (generate's mechanisms["ad"]):
  "value" (paid conversion falls as a power of spend), "both" (stronger click saturation, and paid conversion
  falls with the share of the paid audience bought), "cpc" (a bid ladder: clicks = clicks_max x s / (1 + s),
  s = spend / scale, each click dearer as spend rises) or "underdelivery" (thin-auction spells on which the
  platform spends only 35-80% of what its rule wants).
- Refunds (size, quality, late_delivery, changed_mind) arrive 1-12 days after purchase; refunded lines
  are never reviewed; reviews arrive 3-15 days after purchase (unhappy buyers: sooner and more often),
  mostly short Chinese text.
- Nothing ordinary changes in the last 35 days; planted causes edit the drivers from their start, and
  impact_gmv re-runs the expected-value model without each cause (other noise paths held fixed).
"""

from .generation import generate
from .truth import AltTruth, load_truth

__all__ = ["AltTruth", "generate", "load_truth"]
