"""Tests for siteopt/network/readers.py: hostile road files are one NetworkError each."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteopt.errors import NetworkError
from siteopt.network.readers import read_graphml_edges, read_osm_ways

OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="{lat}" lon="-0.4"/>
 <node id="2" lat="52.1" lon="-0.3"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="{highway}"/></way>
</osm>
"""

GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="x" for="node" attr.name="x" attr.type="double"/>
<key id="y" for="node" attr.name="y" attr.type="double"/>
<key id="hw" for="edge" attr.name="highway" attr.type="string"/>
<key id="len" for="edge" attr.name="length" attr.type="double"/>
<graph edgedefault="directed">
<node id="a"><data key="x">{x}</data><data key="y">52.0</data></node>
<node id="b"><data key="x">-0.3</data><data key="y">52.1</data></node>
<edge source="a" target="b"><data key="hw">{highway}</data><data key="len">1000</data></edge>
</graph></graphml>
"""


def test_osm_with_a_malformed_latitude_is_one_error(tmp_path: Path) -> None:
    """``lat = "952.2"`` raised osmium's InvalidLocationError as a traceback (#16 item 9)."""
    path = tmp_path / "r.osm"
    path.write_text(OSM.format(lat="952.2", highway="primary"), encoding="utf-8")
    with pytest.raises(NetworkError, match=r"r\.osm: not a readable OpenStreetMap file"):
        read_osm_ways(path)


@pytest.mark.parametrize("x", ["NaN", "inf", "400"])
def test_graphml_with_non_finite_or_impossible_coordinates_is_one_error(
    tmp_path: Path, x: str
) -> None:
    """NaN coordinates reached scipy's KD-tree: 'data must be finite' (#16 item 9)."""
    path = tmp_path / "r.graphml"
    path.write_text(GRAPHML.format(x=x, highway="primary"), encoding="utf-8")
    with pytest.raises(NetworkError, match=r"r\.graphml: node a: expected lon 'x' and lat 'y'"):
        read_graphml_edges(path)


def test_graphml_of_footways_only_has_no_drivable_road(tmp_path: Path) -> None:
    """Every edge a footway was read as 'road' and accepted (#16 item 13)."""
    path = tmp_path / "foot.graphml"
    path.write_text(GRAPHML.format(x="-0.4", highway="footway"), encoding="utf-8")
    with pytest.raises(NetworkError, match="no drivable roads found"):
        read_graphml_edges(path)
    path.write_text(GRAPHML.format(x="-0.4", highway="unclassified"), encoding="utf-8")
    assert len(read_graphml_edges(path).src) == 1


def test_osm_ways_clipped_at_the_extract_edge_keep_their_nodes_inside(tmp_path: Path) -> None:
    """A way naming a node the extract lacks keeps its located nodes; a two-way junction splits."""
    path = tmp_path / "clipped.osm"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="52.00" lon="-0.40"/>
 <node id="2" lat="52.00" lon="-0.39"/>
 <node id="3" lat="52.00" lon="-0.38"/>
 <node id="4" lat="52.01" lon="-0.39"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="99"/>
  <tag k="highway" v="primary"/><tag k="oneway" v="-1"/></way>
 <way id="11"><nd ref="2"/><nd ref="4"/><tag k="highway" v="footway"/></way>
 <way id="12"><nd ref="4"/><nd ref="2"/><tag k="highway" v="residential"/></way>
</osm>
""",
        encoding="utf-8",
    )
    edges = read_osm_ways(path)
    assert len(edges.x) == 4  # node 99 is not in the extract; the footway adds nothing
    # way 10 split at node 2 (shared with way 12), drawn 1 → 3 but one-way against it: 3 → 2 → 1
    west = int(edges.x.argmin())
    east = int(edges.x.argmax())
    middle = ({0, 1, 2, 3} - {west, east, int(edges.y.argmax())}).pop()
    pairs = list(zip(edges.src.tolist(), edges.dst.tolist(), strict=True))
    assert (east, middle) in pairs and (middle, west) in pairs
    assert len(pairs) == 3 and edges.two_way.tolist().count(False) == 2
    assert edges.metres.min() > 600  # about 685 m a step along a parallel at 52°
