"""Classic location models on a travel-time matrix, solved exactly (like PySAL spopt's ``locate``).

Owns the data (:mod:`~siteopt.locate.matrix`: demand points × candidate sites from an instance or
a CSV), one module per model family (:mod:`~siteopt.locate.pmedian`,
:mod:`~siteopt.locate.pcenter`, :mod:`~siteopt.locate.coverage` for LSCP and MCLP,
:mod:`~siteopt.locate.pdispersion`) with what they share in :mod:`~siteopt.locate.base`, the
entry point :func:`~siteopt.locate.solve.locate`, its :class:`~siteopt.locate.result.LocateResult`
and its JSON / GeoJSON / GeoPackage outputs (:mod:`~siteopt.locate.outputs`).
"""
