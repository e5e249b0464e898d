"""Stage 1 — instance file → validated model.

Owns the TOML instance files: the schema (:mod:`~siteopt.instance.schema`, every figure labelled
with its ``source`` or ``assumption`` by :mod:`~siteopt.instance.figures`), the constraint tables
(:mod:`~siteopt.instance.constraints`), reading and merging ``extends`` chains into one-line errors
(:mod:`~siteopt.instance.loading`), cross-field checks (:mod:`~siteopt.instance.checks`), the files
an instance names (the measured demand profile, :mod:`~siteopt.instance.profile`) and the
greenfield candidate grid (:mod:`~siteopt.instance.greenfield`). Everything after this stage
trusts a validated :class:`~siteopt.instance.schema.Instance`.
"""
