"""Stage 4 — costs.

Owns the prices of an option's parts (:mod:`~siteopt.costs.prices`: pay per FTE by force area,
building figures per candidate, Green Book annualising) and what moving the workplace does to
today's staff (:mod:`~siteopt.costs.transition`: gravity-model homes, retention, excess travel).
"""
