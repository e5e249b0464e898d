"""Road classes, their speeds, and the speed a posted limit allows (no heavy imports).

Every road-network edge carries one class from :data:`ROAD_CLASSES`. OpenStreetMap ``highway``
values map onto themselves; OS Open Roads classifications map onto the nearest OSM class (see
:data:`OS_OPEN_ROADS_CLASSES`); the embedded network uses ``motorway`` and ``trunk`` for the
Strategic Road Network, the OSM classes for Cambridgeshire's real major roads, and
``local_urban`` / ``local_rural`` for the LSOA mesh and its connectors.

An edge's speed is ``min(class speed, edge cap)``: the class speed (:data:`DEFAULT_SPEEDS_KPH`,
overridable per instance) is the most the class allows; the edge cap (:func:`edge_cap_kph`: the
speed its posted limit allows, a typical speed for a major road whose limit is unknown, at most
:data:`ROUNDABOUT_KPH` on a roundabout) lowers it road by road. Instance files read this module,
so it stays import-light.
"""

from __future__ import annotations

import itertools
import math
from types import MappingProxyType

__all__ = [
    "DEFAULT_SPEEDS_KPH",
    "DRIVABLE_HIGHWAYS",
    "KM_PER_MILE",
    "LIMIT_SPEEDS_KPH",
    "OS_OPEN_ROADS_CLASSES",
    "ROAD_CLASSES",
    "ROUNDABOUT_KPH",
    "UNKNOWN_LIMIT_KPH",
    "edge_cap_kph",
    "limit_speed_kph",
]


#: Speed per road class in km/h: free-flow car speeds, modelled values (not measured here). For
#: ``motorway``, ``trunk`` and ``primary`` it is the class's top speed (a 70 mph dual
#: carriageway); each road's limit lowers it (:func:`edge_cap_kph`). For the other classes it is
#: a typical speed, also capped by a lower limit. ``local_urban`` is replaced by the calibrated
#: value of the embedded network.
DEFAULT_SPEEDS_KPH: MappingProxyType[str, float] = MappingProxyType(
    {
        "motorway": 105.0,
        "motorway_link": 60.0,
        "trunk": 100.0,
        "trunk_link": 50.0,
        "primary": 100.0,
        "primary_link": 40.0,
        "secondary": 45.0,
        "secondary_link": 35.0,
        "tertiary": 40.0,
        "tertiary_link": 30.0,
        "unclassified": 35.0,
        "residential": 25.0,
        "living_street": 10.0,
        "service": 15.0,
        "road": 30.0,
        "local_urban": 30.0,
        "local_rural": 60.0,
    }
)


#: Every road class a speed table may name.
ROAD_CLASSES: tuple[str, ...] = tuple(DEFAULT_SPEEDS_KPH)


#: OSM ``highway`` values that a car may drive on (the rest of an extract is ignored).
DRIVABLE_HIGHWAYS: frozenset[str] = frozenset(ROAD_CLASSES) - {"local_urban", "local_rural"}


#: Speed (km/h) of a trunk or primary road whose limit is unknown (an OSM way without
#: ``maxspeed``, every OS Open Roads link, a Strategic Road Network link): assumption, the typical
#: speed of the class — trunk roads mix 70 mph dual carriageway with roundabouts and single
#: carriageway; an A road of unknown limit is as likely to run through a town as not.
UNKNOWN_LIMIT_KPH: MappingProxyType[str, float] = MappingProxyType({"trunk": 80.0, "primary": 50.0})


#: Kilometres in a mile.
KM_PER_MILE = 1.609344


#: Free-flow car speed (km/h) on a road by its posted limit (mph): assumption. Up to 30 mph the
#: limit itself (DfT free-flow statistics, 2019, put average car speeds on 30 mph roads at about
#: the limit); above it lower, as bends, villages and junctions not in the data slow a trip (the
#: same release: about 50 mph on 60 mph single carriageways, 69 mph on motorways, measured where
#: nothing slows traffic). Limits in between are interpolated.
LIMIT_SPEEDS_KPH: MappingProxyType[int, float] = MappingProxyType(
    {0: 0.0, 30: 30 * KM_PER_MILE, 40: 60.0, 50: 70.0, 60: 80.0, 70: 100.0}
)


#: Speed on a roundabout's carriageway (km/h), whatever its limit: assumption (about 20 mph to
#: give way, enter and circulate).
ROUNDABOUT_KPH = 30.0


def limit_speed_kph(limit_kph: float) -> float:
    """Free-flow speed (km/h) on a road with a posted limit in km/h (``inf``: no known limit).

    Piecewise linear in the limit through :data:`LIMIT_SPEEDS_KPH`; above 70 mph it grows with
    the limit at the 60-70 mph ratio.
    """
    if not math.isfinite(limit_kph):
        return math.inf
    mph = max(limit_kph / KM_PER_MILE, 0.0)
    points = sorted(LIMIT_SPEEDS_KPH.items())
    for (m0, v0), (m1, v1) in itertools.pairwise(points):
        if mph <= m1:
            return v0 + (v1 - v0) * (mph - m0) / (m1 - m0)
    top_mph, top_kph = points[-1]
    return top_kph * mph / top_mph


def edge_cap_kph(road_class: str, limit_kph: float, *, roundabout: bool = False) -> float:
    """Speed cap (km/h) of one road: its limit's speed, else the class's unknown-limit speed.

    ``limit_kph`` is the posted limit (``inf`` when unknown); a roundabout is capped at
    :data:`ROUNDABOUT_KPH`. ``inf`` means the class speed alone applies.
    """
    if math.isfinite(limit_kph):
        cap = limit_speed_kph(limit_kph)
    else:
        cap = UNKNOWN_LIMIT_KPH.get(road_class, math.inf)
    return min(cap, ROUNDABOUT_KPH) if roundabout else cap


#: OS Open Roads ``road_classification`` (or shapefile ``class``) → road class.
OS_OPEN_ROADS_CLASSES: MappingProxyType[str, str] = MappingProxyType(
    {
        "Motorway": "motorway",
        "A Road": "primary",
        "B Road": "secondary",
        "Classified Unnumbered": "tertiary",
        "Unclassified": "unclassified",
        "Not Classified": "residential",
        "Unknown": "road",
    }
)
