"""Stage 3a — call demand.

Owns annual volumes per force and stream (:mod:`~siteopt.demand.volumes`: published figures, or
per-head estimates where a force has none) and their spread over the week and over LSOAs
(:mod:`~siteopt.demand.rates`: arrival rates per interval for staffing, calls per LSOA for maps).
"""
