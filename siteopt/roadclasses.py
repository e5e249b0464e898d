"""Road classes and their default speeds (no heavy imports: instance validation reads this).

Every road-network edge carries one class from :data:`ROAD_CLASSES`. OpenStreetMap ``highway``
values map onto themselves; OS Open Roads classifications map onto the nearest OSM class (see
:data:`OS_OPEN_ROADS_CLASSES`); the embedded network uses ``motorway`` and ``trunk`` for the
Strategic Road Network and ``local_urban`` / ``local_rural`` for the LSOA mesh and its connectors.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["DEFAULT_SPEEDS_KPH", "DRIVABLE_HIGHWAYS", "OS_OPEN_ROADS_CLASSES", "ROAD_CLASSES"]


#: Default speed per road class in km/h: typical free-flow car speeds, modelled values (not
#: measured here). ``local_urban`` is replaced by the calibrated value of the embedded network.
DEFAULT_SPEEDS_KPH: MappingProxyType[str, float] = MappingProxyType(
    {
        "motorway": 105.0,
        "motorway_link": 60.0,
        "trunk": 80.0,
        "trunk_link": 50.0,
        "primary": 50.0,
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
