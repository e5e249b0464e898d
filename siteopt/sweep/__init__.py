"""Batch what-if sweeps: many solves of one base instance, locally or on a Dask cluster.

Owns sweep files and their scenarios (:mod:`~siteopt.sweep.spec`), the work of one batch on a
worker (:mod:`~siteopt.sweep.batch`), the resumable Parquet results store
(:mod:`~siteopt.sweep.store`), running batches on ``dask.distributed``
(:mod:`~siteopt.sweep.run`) and the decision report over the stored results
(:mod:`~siteopt.sweep.report`). A sweep orchestrates solves; it adds no model of its own.
"""
