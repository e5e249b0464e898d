"""Stage 2 — the road graph and travel times.

Owns :class:`~siteopt.network.graph.RoadNetwork` (a CSR graph in British National Grid metres),
where a network comes from (:mod:`~siteopt.network.sources`: the embedded strategic network +
calibrated mesh, an OpenStreetMap extract, GraphML, OS Open Roads; the file readers are in
:mod:`~siteopt.network.readers`), the points placed on it (:mod:`~siteopt.network.points`), travel
time and distance matrices with their disk cache (:mod:`~siteopt.network.travel`) and single
routes with the roads they use (:mod:`~siteopt.network.route`).
"""
