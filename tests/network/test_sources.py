"""Embedded networks: the national network cut to a force selection's extent."""

from __future__ import annotations

import numpy as np

from siteopt.data import open_dataset
from siteopt.network.points import Points, lsoa_points
from siteopt.network.sources import SELECTION_BUFFER_M, embedded_network
from siteopt.network.travel import travel_times


def test_selected_forces_get_their_part_of_the_network() -> None:
    """Kent and Essex get a network of their extent + buffer, every LSOA reachable."""
    whole = embedded_network(open_dataset("england-wales"))
    dataset = open_dataset("england-wales", forces=["kent", "essex"])
    part = embedded_network(dataset)
    assert part.n_nodes < whole.n_nodes / 4
    homes, _ = lsoa_points(dataset)
    snap = part.snap(homes.x, homes.y)
    assert snap.distance_m.max() < 1.0  # every LSOA point is a node of the part
    lsoas = dataset.lsoas()
    kent = lsoas.index[lsoas["force"] == "kent"][:1]
    room = Points(tuple(homes.ids[i] for i in kent), homes.x[kent], homes.y[kent])
    times = travel_times(part, homes, room, cache=False)
    assert np.isfinite(times.minutes).all()
    far = np.hypot(part.x - homes.x.mean(), part.y - homes.y.mean()).max()
    assert far < 200_000 + SELECTION_BUFFER_M


def test_kent_to_essex_goes_round_by_the_dartford_crossing() -> None:
    """Gravesend to Tilbury (1 km apart across the Thames) is a drive of over 15 minutes."""
    dataset = open_dataset("england-wales", forces=["kent", "essex"])
    network = embedded_network(dataset)
    lsoas = dataset.lsoas().set_index("lsoa11cd")
    gravesend = list(lsoas.index[lsoas["lsoa11nm"].str.startswith("Gravesham")])
    tilbury = list(lsoas.index[lsoas["lsoa11nm"].str.startswith("Thurrock")])
    xy_g = lsoas.loc[gravesend, ["x", "y"]].to_numpy()
    xy_t = lsoas.loc[tilbury, ["x", "y"]].to_numpy()
    d = np.hypot(xy_g[:, None, 0] - xy_t[None, :, 0], xy_g[:, None, 1] - xy_t[None, :, 1])
    i, j = np.unravel_index(np.argmin(d), d.shape)
    pts = Points(
        (str(gravesend[i]), str(tilbury[j])),
        np.array([xy_g[i, 0], xy_t[j, 0]]),
        np.array([xy_g[i, 1], xy_t[j, 1]]),
    )
    minutes = travel_times(network, pts, pts, cache=False).minutes
    assert d[i, j] < 3_000
    assert minutes[0, 1] > 15


def test_overridden_speeds_are_named_in_the_travel_note() -> None:
    """The note claimed the default speeds and calibration after an override (#16 item 13)."""
    from siteopt.data import open_dataset
    from siteopt.network.sources import embedded_network

    note = embedded_network(open_dataset("bch"), speeds_kph={"local_urban": 20.0}).provenance
    assert "Speeds set by the instance: local_urban 20 km/h" in note
    assert "Speeds set by the instance" not in embedded_network(open_dataset("bch")).provenance
