"""Tests for siteopt/outputs/gis.py: the layers a GIS user opens."""

from __future__ import annotations

from siteopt.outputs.data import ExportData
from siteopt.outputs.gis import gis_layers


def test_force_layer_carries_each_forces_name_beside_its_id(toy_data: ExportData) -> None:
    """A GIS user sees "Bedfordshire (toy)", not only "bedfordshire", on the force areas."""
    forces = gis_layers(toy_data)["forces"]
    assert list(forces.columns[:2]) == ["force", "name"]
    assert dict(zip(forces["force"], forces["name"], strict=True)) == {
        fid: force.name for fid, force in toy_data.instance.forces.items()
    }
    assert str(forces.crs) == "EPSG:27700"
