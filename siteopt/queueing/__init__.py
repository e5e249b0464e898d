"""Stage 3b — staffing: from calls to agents, FTE, rosters, and a simulation to check them.

Owns the Erlang formulas (:mod:`~siteopt.queueing.erlang`), the agents one queue needs for a
service target (:mod:`~siteopt.queueing.agents`), teams of several streams and pooled forces
(:mod:`~siteopt.queueing.teams`), agents → FTE and the staffing table of every group of forces
(:mod:`~siteopt.queueing.fte`), shift rosters (:mod:`~siteopt.queueing.shifts`,
:mod:`~siteopt.queueing.rota`, :mod:`~siteopt.queueing.site_roster`) and the discrete-event
simulation of a staffed week (:mod:`~siteopt.queueing.simulate`).
"""
