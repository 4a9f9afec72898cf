"""The storylines planted in the demo bank: what is true in the data for the cockpit to reveal.

One place for their parameters, so the generator plants them and the tests look for them here.
Documented for people in seed/demo/STORYLINES.md.
"""

from __future__ import annotations

import datetime as dt

START = dt.date(2025, 1, 1)
AS_OF = dt.date(2026, 11, 20)

# A region branch behind on its deposit target: its deposits barely grow while the bank plans +10% a year.
LAGGING_REGION = "R02"
LAGGING_DEPOSIT_GROWTH = 0.01
PLANNED_GROWTH = 0.10

# An online -> offline referral route whose follow-up stalls in one month.
STALLED_FROM, STALLED_TO = "app", "wealth_room"
STALLED_MONTH = dt.date(2026, 9, 1)

# One campaign converting far above the rest (Interest -> Connect -> Action).
STAR_CAMPAIGN = "C03"

# A dormant high-value cohort: tier 4-5 customers with no touchpoint in the last DORMANT_DAYS days.
DORMANT_SHARE_OF_HIGH_TIER = 0.12
DORMANT_DAYS = 120

# A sub-branch whose Connect -> Action conversion drops sharply in one week.
DROP_SUB_BRANCH = "R01B02"
DROP_WEEK_START = dt.date(2026, 10, 12)  # a Monday
DROP_FACTOR = 0.1

STORYLINES = {
    "lagging_region": {"org_id": LAGGING_REGION, "metric": "deposits"},
    "stalled_route": {"from": STALLED_FROM, "to": STALLED_TO, "month": STALLED_MONTH.isoformat()},
    "star_campaign": {"campaign_id": STAR_CAMPAIGN},
    "dormant_high_value": {"min_tier": 4, "days": DORMANT_DAYS},
    "week_drop": {"org_id": DROP_SUB_BRANCH, "week_start": DROP_WEEK_START.isoformat()},
}
