"""Stage 5 — the optimisation model and its solution.

Owns :class:`~siteopt.optimise.problem.ProblemData` (every coefficient as an integer,
:mod:`~siteopt.optimise.arrays`) and its adapter from an instance (:mod:`~siteopt.optimise.build`),
the constraints (:mod:`~siteopt.optimise.constraints`: one class per type, each evaluating,
pricing, modelling and describing itself), a priced :class:`~siteopt.optimise.option.Option`, the
exact enumeration of one- and two-site options (:mod:`~siteopt.optimise.options`), size bounds
(:mod:`~siteopt.optimise.bounds`), the CP-SAT model (:mod:`~siteopt.optimise.cpsat`) and its
search (:mod:`~siteopt.optimise.search`), the solution in pounds and FTE
(:mod:`~siteopt.optimise.solution`), the result of a run and its JSON output contract
(:mod:`~siteopt.optimise.result`, read and written through :mod:`~siteopt.optimise.plain`), and
:mod:`~siteopt.optimise.solve`, which runs them on an instance.
"""
