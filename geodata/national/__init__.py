"""The national embedded dataset (``geodata/england-wales/``): every LSOA of England and Wales.

Built by ``python -m geodata.build --dataset england-wales`` from ``../shared/geodata/national/``
and ``../shared/geodata/roads/``. Stages, one module each:

- :mod:`geodata.national.tables`: the LSOA table (force, district, populations, point), the OSM
  police points tagged with their force, and the per-force demand scalers;
- :mod:`geodata.national.areas`: approximate areas for maps (Voronoi cells of the LSOA points,
  not ONS boundaries) dissolved into districts and force areas;
- :mod:`geodata.national.mesh`: the road network (Strategic Road Network of England, motorways
  of Wales, and a Delaunay mesh between neighbouring LSOA points), calibrated on Cambridge;
- :mod:`geodata.national.build`: reads, checks and writes it all atomically with a manifest;
- :mod:`geodata.national.volumes`: call volumes of an alliance from BCH's rates scaled by
  recorded crime (what the alliance instance files state, with the arithmetic shown).
"""

from pathlib import Path

__all__ = ["NATIONAL_DIR", "NATIONAL_NAME"]

#: Name of the dataset (``[data] dataset = "england-wales"``) and its folder.
NATIONAL_NAME = "england-wales"
NATIONAL_DIR = Path(__file__).resolve().parents[1] / NATIONAL_NAME
