"""siteopt: where should shared police control rooms be.

Exact site and staffing choices on a road network.

Stages, in the order data flows: :mod:`siteopt.instance` (TOML → validated instance),
:mod:`siteopt.data` (the embedded dataset), :mod:`siteopt.demand` (calls per force and stream),
:mod:`siteopt.outputs.report` (summaries), :mod:`siteopt.cli` (the thin command line).
"""

from siteopt.errors import DataError, InstanceError, SiteoptError, StaffingError
from siteopt.instance.loading import load_instance
from siteopt.instance.schema import Instance

__all__ = [
    "DataError",
    "Instance",
    "InstanceError",
    "SiteoptError",
    "StaffingError",
    "load_instance",
]
__version__ = "0.1.0"
