"""Classic location models on a travel-time matrix, solved exactly (like PySAL spopt's ``locate``).

Owns the data (:mod:`~siteopt.location.matrix`: demand points × candidate sites from an
instance or a CSV), one module per model family (:mod:`~siteopt.location.pmedian`,
:mod:`~siteopt.location.pcenter`, :mod:`~siteopt.location.coverage` for LSCP and MCLP,
:mod:`~siteopt.location.pdispersion`) with what they share in :mod:`~siteopt.location.base`,
the entry point :func:`~siteopt.location.solve.locate` (``siteopt.locate``), its
:class:`~siteopt.location.result.LocateResult` and its JSON / GeoJSON / GeoPackage outputs
(:mod:`~siteopt.location.outputs`).
"""
