"""Instance files: schema, provenance, cross-references, `extends`, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from siteopt.errors import InstanceError
from siteopt.instance.figures import Figure, PerHeadEstimate
from siteopt.instance.loading import InstanceTemplate, load_instance
from siteopt.instance.schema import Instance
from tests.conftest import BAD, INSTANCES, REPO, CliResult

# file in tests/data/bad, the file the error must name, the dotted path, a phrase of the message
MALFORMED = [
    ("unknown_top_key", "unknown_top_key", "colour", "unknown key 'colour'"),
    ("unknown_nested_key", "unknown_nested_key", "staffing.occupancy_max", "did you mean 'max_occupancy'"),
    ("wrong_type", "wrong_type", "solver.k_max", "valid integer"),
    ("allowance_missing_for_candidate_area", "allowance_missing_for_candidate_area", "pay.area_allowance_gbp", "candidate site 'welwyn'"),
    ("negative_volume", "negative_volume", "demand.volumes.bedfordshire.emergency.value", "greater than or equal to 0"),
    ("share_above_one", "share_above_one", "demand.streams.emergency.target_share.value", "expected at most 1, got 1.5"),
    ("both_provenances", "both_provenances", "costs.discount_rate", "exactly one of 'source'"),
    ("unknown_site", "unknown_site", "forces.bedfordshire.current_site", "did you mean 'kempston'"),
    ("k_order", "k_order", "solver.k_min", "k_min <= k_max"),
    ("missing_profile", "missing_profile", "demand.profile", "not found"),
    ("missing_road_file", "missing_road_file", "network.path", "not found"),
    ("unknown_constraint_type", "unknown_constraint_type", "constraints.teleport.type", "unknown type 'teleport'"),
    ("constraint_missing_field", "constraint_missing_field", "constraints.absorb.min_share", "required key missing"),
    ("per_head_unknown_force", "per_head_unknown_force", "demand.volumes.hertfordshire.emergency.per_head_of.0", "got 'essex'"),
    ("shrinkage_total", "shrinkage_total", "staffing.shrinkage", "sum to less than 1"),
    ("unknown_postcode", "unknown_postcode", "sites.custom.newbuild.postcode", "'ZZ9 9ZZ' is not in"),
    ("bad_syntax", "bad_syntax", "", "not valid TOML"),
    ("missing_parent", "missing_parent", "extends", "not found"),
    ("cycle_a", "cycle_a", "extends", "circular extends"),
    ("separation_order", "separation_order", "constraints.separation.min_minutes", "min_minutes <= max_minutes"),
    ("k_max_too_big", "k_max_too_big", "solver.k_max", "at most 4"),
    ("exclude_unknown", "exclude_unknown", "sites.exclude.0", "unknown site id 'atlantis'"),
    ("routing_value", "routing_value", "staffing.routing.1", "'pooled' or 'by_force'"),
    ("appraisal_zero", "appraisal_zero", "costs.appraisal_years.value", "greater than or equal to 1"),
    ("fallback_unknown_site", "fallback_unknown_site", "constraints.fallback.site", "unknown site id 'nowhere'"),
    ("custom_two_locations", "custom_two_locations", "sites.custom.newbuild", "exactly one location"),
    ("parent_is_broken", "negative_volume", "demand.volumes.bedfordshire.emergency.value", "greater than or equal to 0"),
    ("unknown_dataset", "unknown_dataset", "data.dataset", "dataset folder not found"),
]  # fmt: skip


def snapshot(folder: Path) -> dict[str, float]:
    """Every file below ``folder`` with its modification time."""
    return {str(p): p.stat().st_mtime for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("name", "blamed", "path", "phrase"), MALFORMED)
def test_malformed_file_gives_one_error_with_file_and_path(
    name: str, blamed: str, path: str, phrase: str
) -> None:
    """Each malformed file raises one InstanceError naming the right file and dotted path."""
    with pytest.raises(InstanceError) as info:
        load_instance(BAD / f"{name}.toml")
    err = info.value
    assert Path(err.file).name == f"{blamed}.toml"
    assert err.path == path
    assert phrase in err.message
    assert "\n" not in str(err)


@pytest.mark.parametrize(("name", "blamed", "path", "phrase"), MALFORMED)
def test_cli_validate_exits_2_with_one_line_and_writes_nothing(
    name: str,
    blamed: str,
    path: str,
    phrase: str,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`siteopt validate BAD` prints one line on stderr, exits 2, leaves no file behind."""
    monkeypatch.chdir(tmp_path)
    before_repo = snapshot(REPO / "instances") | snapshot(BAD)
    result = run_cli("validate", str(BAD / f"{name}.toml"))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert f"{blamed}.toml: {path}: " in lines[0] if path else f"{blamed}.toml: " in lines[0]
    assert phrase in lines[0]
    assert result.out == ""
    assert list(tmp_path.iterdir()) == []
    assert snapshot(REPO / "instances") | snapshot(BAD) == before_repo


def test_error_output_has_no_traceback_in_a_real_process() -> None:
    """The installed entry point prints no traceback for bad input."""
    proc = subprocess.run(
        [sys.executable, "-c", "from siteopt.cli import entry_point; entry_point()",
         "validate", str(BAD / "negative_volume.toml")],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["bch-2015", "bch-one-site", "bch-two-sites", "toy"])
def test_shipped_instances_validate(name: str) -> None:
    """Every shipped instance is valid and every figure carries a source or an assumption."""
    instance = load_instance(INSTANCES / f"{name}.toml")
    figures = list(instance.figures())
    assert figures
    for path, figure in figures:
        assert bool(figure.source) != bool(figure.assumption), path


def test_bch_2015_has_the_three_current_rooms_and_sourced_call_volumes() -> None:
    """The BCH default names today's rooms and cites the published volumes."""
    instance = load_instance(INSTANCES / "bch-2015.toml")
    assert {f.current_site for f in instance.forces.values()} == {
        "kempston",
        "hinchingbrooke",
        "welwyn",
    }
    beds = instance.demand.volumes["bedfordshire"]["emergency"]
    assert isinstance(beds, Figure)
    assert beds.value == 110000
    assert beds.source is not None
    assert "Bedford Today" in beds.source
    herts = instance.demand.volumes["hertfordshire"]["emergency"]
    assert isinstance(herts, PerHeadEstimate)
    assert len(instance.candidate_ids()) == 32


def test_extends_overrides_only_what_it_names(tmp_path: Path) -> None:
    """A child file changes named fields; everything else comes from the parent."""
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        'name = "child"\n'
        "[solver]\nk_max = 1\n"
        '[demand.streams.emergency]\ntarget_share = { value = 0.95, source = "new target" }\n',
        encoding="utf-8",
    )
    parent = load_instance(INSTANCES / "bch-2015.toml")
    merged = load_instance(child)
    assert merged.name == "child"
    assert merged.solver.k_max == 1
    assert merged.solver.k_min == parent.solver.k_min
    assert merged.demand.streams["emergency"].target_share == Figure[float](
        value=0.95, source="new target"
    )
    assert merged.demand.streams["emergency"].aht_s == parent.demand.streams["emergency"].aht_s
    assert merged.pay == parent.pay
    assert merged.chain == (child, child.parent / (INSTANCES / "bch-2015.toml"))


def test_unlabelled_override_becomes_a_what_if_assumption(tmp_path: Path) -> None:
    """A bare number over a sourced figure is relabelled, so no stale citation survives."""
    child = tmp_path / "growth.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        "[demand]\ngrowth = 1.2\n"
        "[demand.volumes.bedfordshire]\nemergency = { value = 120000 }\n",
        encoding="utf-8",
    )
    merged = load_instance(child)
    growth = merged.demand.growth
    assert growth.value == 1.2
    assert growth.source is None
    assert growth.assumption is not None
    assert "growth.toml" in growth.assumption
    assert "base value 1.0" in growth.assumption
    beds = merged.demand.volumes["bedfordshire"]["emergency"]
    assert isinstance(beds, Figure)
    assert beds.value == 120000
    assert beds.assumption is not None
    assert "Bedford Today" in beds.assumption  # the base citation is quoted, not inherited


def test_bare_number_in_a_root_file_is_refused(tmp_path: Path) -> None:
    """Without a parent to inherit from, a figure must say where it comes from."""
    text = (INSTANCES / "toy.toml").read_text(encoding="utf-8")
    text = text.replace(
        'appraisal_years = { value = 10, assumption = "toy" }', "appraisal_years = 10"
    )
    root = tmp_path / "root.toml"
    root.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceError) as info:
        load_instance(root)
    assert info.value.path == "costs.appraisal_years"
    assert "expected a figure table" in info.value.message


def test_relative_paths_resolve_against_the_file_that_sets_them(tmp_path: Path) -> None:
    """A profile path set in a parent stays valid when a child in another folder extends it."""
    (tmp_path / "base").mkdir()
    rows = "".join(f"{1 / 168!r}\n" for _ in range(168))
    (tmp_path / "base" / "profile.csv").write_text("share\n" + rows, encoding="utf-8")
    base_text = (INSTANCES / "toy.toml").read_text(encoding="utf-8")
    base_text = base_text.replace('profile = "default"', 'profile = "profile.csv"')
    (tmp_path / "base" / "toy.toml").write_text(base_text, encoding="utf-8")
    (tmp_path / "variants").mkdir()
    child = tmp_path / "variants" / "v.toml"
    child.write_text('extends = "../base/toy.toml"\nname = "v"\n', encoding="utf-8")
    instance = load_instance(child)
    assert Path(instance.demand.profile) == tmp_path / "base" / "profile.csv"


def test_instances_are_frozen() -> None:
    """Validated instances cannot be changed in place."""
    instance = load_instance(INSTANCES / "toy.toml")
    with pytest.raises(ValueError, match="frozen"):
        instance.name = "changed"  # type: ignore[misc]
    assert isinstance(instance, Instance)


def test_custom_site_by_postcode_becomes_a_candidate(tmp_path: Path) -> None:
    """A site added by postcode alone joins the candidates."""
    child = tmp_path / "custom.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        "[sites.custom.hinchingbrooke-annex]\n"
        'name = "Annex"\nforce = "cambridgeshire"\npostcode = "pe296np"\nsource = "test"\n',
        encoding="utf-8",
    )
    instance = load_instance(child)
    assert instance.candidate_ids()[-1] == "hinchingbrooke-annex"
    assert instance.dataset().locate_postcode("pe296np") == (523020, 271782)


def test_profile_csv_content_is_checked_at_validation(tmp_path: Path) -> None:
    """A profile CSV with the wrong number of rows fails `validate`, naming the CSV."""
    (tmp_path / "short.csv").write_text("share\n" + "0.01\n" * 100, encoding="utf-8")
    child = tmp_path / "v.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[demand]\nprofile = "short.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(InstanceError, match="got 100") as info:
        load_instance(child)
    assert Path(info.value.file).name == "short.csv"


def test_existing_seats_above_the_maximum_is_an_error(tmp_path: Path) -> None:
    """A building cannot already have more seats than it can hold."""
    child = tmp_path / "seats.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        '[sites.overrides.luton]\nexisting_seats = { value = 50, assumption = "t" }\n',
        encoding="utf-8",
    )
    with pytest.raises(
        InstanceError, match="existing_seats <= max_seats for 'luton', got 50 > 40"
    ) as info:
        load_instance(child)
    assert info.value.path == "sites.overrides.luton.existing_seats"
    assert info.value.file == str(child)


def test_a_site_without_a_cost_figure_is_an_error(tmp_path: Path) -> None:
    """Every candidate needs every building figure, from the defaults or its override."""
    text = (INSTANCES / "toy.toml").read_text(encoding="utf-8")
    text = text.replace('running_cost_gbp = { value = 100000, assumption = "toy" }\n', "")
    root = tmp_path / "no-running-cost.toml"
    root.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceError, match="no running_cost_gbp for site 'kempston'") as info:
        load_instance(root)
    assert info.value.path == "sites.defaults.running_cost_gbp"


def test_greenfield_grid_adds_generic_candidates(tmp_path: Path) -> None:
    """A 10 km grid adds new-build candidates inside the three force areas, priced generically."""
    child = tmp_path / "greenfield.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        "[sites.greenfield]\ngrid_km = 10\n"
        'new_build_one_off_gbp = { value = 3000000, assumption = "t" }\n'
        'running_cost_gbp = { value = 400000, assumption = "t" }\n'
        'fit_out_per_seat_gbp = { value = 20000, assumption = "t" }\n'
        'max_seats = { value = 120, assumption = "t" }\n',
        encoding="utf-8",
    )
    instance = load_instance(child)
    grid = instance.greenfield_sites
    assert 40 < len(grid) < 90  # ~6,300 km² at one point per 100 km²
    assert {g.force for g in grid} == {"bedfordshire", "cambridgeshire", "hertfordshire"}
    assert all(g.id.startswith("gf-") for g in grid)
    assert len({(g.x, g.y) for g in grid}) == len(grid)
    districts = instance.dataset().boundaries("districts")
    district_force = dict(zip(districts["lad_name"], districts["force"], strict=True))
    assert all(district_force[g.district] == g.force for g in grid)
    assert instance.site_name(grid[0].id).endswith(f" in {grid[0].district}")
    assert instance.candidate_ids()[:4] == ["kempston", "hinchingbrooke", "welwyn", "luton"]
    assert len(instance.candidate_ids()) == 4 + len(grid)
    costs = instance.sites.costs_for(grid[0].id)
    assert costs.move_one_off_gbp is not None
    assert costs.move_one_off_gbp.value == 3_000_000
    assert costs.existing_seats is not None
    assert costs.existing_seats.value == 0


def test_two_absorb_constraints_are_refused(tmp_path: Path) -> None:
    """Resilience rules of one kind are stated once (the model keeps one of each)."""
    child = tmp_path / "two.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        '[constraints.absorb_more]\ntype = "absorb_load"\n'
        'min_share = { value = 0.7, assumption = "t" }\n',
        encoding="utf-8",
    )
    with pytest.raises(InstanceError, match="at most one 'absorb_load' constraint") as info:
        load_instance(child)
    assert info.value.path == "constraints.absorb_more"


def test_template_variants_validate_overrides_and_label_them(tmp_path: Path) -> None:
    """A variant is the base with dotted overrides, labelled as what-ifs and fully validated."""
    from siteopt.instance.loading import InstanceTemplate

    template = InstanceTemplate.read(INSTANCES / "toy.toml")
    same = template.variant({})
    loaded = load_instance(INSTANCES / "toy.toml")
    assert same.solver == loaded.solver
    assert same.candidate_ids() == loaded.candidate_ids()
    assert same.forces == loaded.forces
    sweep = tmp_path / "sweep.toml"
    changed = template.variant({"solver.k_max": 1}, sweep)
    assert changed.solver.k_max == 1
    assert template.variant({}).solver.k_max == same.solver.k_max  # the template is unchanged
    with pytest.raises(InstanceError) as info:
        template.variant({"solver.k_max": "two"}, sweep)
    assert info.value.path == "solver.k_max"
    with pytest.raises(InstanceError, match="dotted field path"):
        template.variant({"solver.": 1}, sweep)


def _toy_child(tmp_path: Path, body: str) -> Path:
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n{body}', encoding="utf-8")
    return child


def test_a_measured_figure_replaces_a_per_head_estimate(tmp_path: Path) -> None:
    """A variant can put a measured volume where the base estimated one per head (#16 item 8)."""
    body = (
        "[demand.volumes.hertfordshire]\n"
        'emergency = { value = 200000, source = "Herts 999 calls 2015" }\n'
    )
    volume = load_instance(_toy_child(tmp_path, body)).demand.volumes["hertfordshire"]["emergency"]
    assert isinstance(volume, Figure)
    assert volume.value == 200000
    assert volume.source == "Herts 999 calls 2015"


@pytest.mark.parametrize(
    "dotted",
    ["demand.volumes.hertfordshire.emergency", "demand.volumes.hertfordshire.emergency.value"],
)
def test_a_what_if_number_replaces_a_per_head_estimate(dotted: str) -> None:
    """A sweep axis over an estimated volume becomes a labelled what-if figure (#16 item 8)."""
    template = InstanceTemplate.read(INSTANCES / "toy.toml")
    volume = template.variant({dotted: 150000}).demand.volumes["hertfordshire"]["emergency"]
    assert isinstance(volume, Figure)
    assert volume.value == 150000
    assert volume.assumption is not None
    assert "per-head estimate from bedfordshire, cambridgeshire" in volume.assumption


def test_an_estimate_replaces_a_measured_figure(tmp_path: Path) -> None:
    """And the other way round: a per-head estimate in place of a figure."""
    body = (
        "[demand.volumes.cambridgeshire]\n"
        'emergency = { per_head_of = ["bedfordshire"], assumption = "estimate" }\n'
        "[demand.volumes.hertfordshire]\n"
        'emergency = { value = 1000, assumption = "t" }\n'
    )
    volume = load_instance(_toy_child(tmp_path, body)).demand.volumes["cambridgeshire"]["emergency"]
    assert isinstance(volume, PerHeadEstimate)


def test_unknown_key_in_a_per_head_estimate_suggests_its_own_keys(tmp_path: Path) -> None:
    """The suggestion comes from the union member pydantic tried, not the first one (#16 item 8)."""
    body = (
        "[demand.volumes.hertfordshire]\n"
        'emergency = { per_head_of = ["bedfordshire"], assumption = "x", valeu = 3 }\n'
    )
    with pytest.raises(InstanceError, match=r"expected one of: assumption, per_head_of\)") as err:
        load_instance(_toy_child(tmp_path, body))
    assert "did you mean 'value'" not in str(err.value)


def test_unknown_key_in_a_constraint_suggests_that_types_keys(tmp_path: Path) -> None:
    """A constraint's misspelt key is matched against the keys of its own ``type``."""
    body = (
        '[constraints.separation]\ntype = "site_separation"\nmin_minute = 3\n'
        'max_minutes = { value = 60, assumption = "t" }\n'
    )
    child = _toy_child(tmp_path, body.replace('type = "site_separation"\n', ""))
    with pytest.raises(InstanceError, match="did you mean 'min_minutes'"):
        load_instance(child)


HUGE = [
    ("[demand]\ngrowth = { value = inf, assumption = 'x' }", "demand.growth.value", "finite"),
    ("[demand]\ngrowth = { value = true, assumption = 'x' }", "demand.growth.value", "a number"),
    (
        "[demand.volumes.bedfordshire]\nemergency = { value = 1e12, assumption = 'x' }",
        "demand.volumes.bedfordshire.emergency.value",
        "at most 100,000,000",
    ),
    (
        "[demand.volumes.bedfordshire]\nemergency = { value = nan, assumption = 'x' }",
        "demand.volumes.bedfordshire.emergency.value",
        "finite",
    ),
    (
        "[demand.streams.emergency]\naht_s = { value = 1e9, assumption = 'x' }",
        "demand.streams.emergency.aht_s.value",
        "at most 86,400",
    ),
    (
        "[pay]\ncall_handler_salary_gbp = { value = inf, assumption = 'x' }",
        "pay.call_handler_salary_gbp.value",
        "finite",
    ),
    (
        "[sites.defaults]\nrunning_cost_gbp = { value = 1e16, assumption = 'x' }",
        "sites.defaults.running_cost_gbp.value",
        "at most 1,000,000,000",
    ),
    (
        "[sites.defaults]\nrunning_cost_gbp = { value = 1e308, assumption = 'x' }",
        "sites.defaults.running_cost_gbp.value",
        "at most 1,000,000,000",
    ),
    (
        "[staffing]\nmin_positions_per_site = { value = 100000, assumption = 'x' }",
        "staffing.min_positions_per_site.value",
        "at most 10,000",
    ),
    ("[solver]\ntime_limit_s = nan", "solver.time_limit_s", "finite"),
    (
        "[staffing]\nmax_occupancy = { value = 1e-154, assumption = 'x' }",
        "staffing.max_occupancy.value",
        "greater than or equal to 0.05",
    ),
    ("[forces.bedfordshire]\nname = 'Beds \\u0001'", "forces.bedfordshire.name", "control"),
    (
        "[sites.custom.far]\nname = 'x'\nforce = 'bedfordshire'\neasting = inf\n"
        "northing = 200000\nsource = 'x'",
        "sites.custom.far.easting",
        "finite",
    ),
    (
        "[sites.custom.far]\nname = 'x'\nforce = 'bedfordshire'\nlon = 40.0\nlat = 52.0\n"
        "source = 'x'",
        "sites.custom.far.lon",
        "at most 2",
    ),
]


@pytest.mark.parametrize(("body", "path", "phrase"), HUGE)
def test_huge_or_non_finite_figures_are_refused_up_front_with_the_limit(
    tmp_path: Path, body: str, path: str, phrase: str
) -> None:
    """inf, nan, true and runaway values fail at validation naming file, field and limit (#16)."""
    with pytest.raises(InstanceError) as err:
        load_instance(_toy_child(tmp_path, body.replace("'", '"')))
    assert err.value.path == path
    assert err.value.file.endswith("child.toml")
    assert phrase in err.value.message


def test_national_call_volumes_are_within_range(tmp_path: Path) -> None:
    """England and Wales as one force (tens of millions of calls a year) still validates."""
    body = "[demand.volumes.bedfordshire]\nnon_emergency = { value = 4e7, assumption = 'x' }"
    load_instance(_toy_child(tmp_path, body.replace("'", '"')))


def test_a_long_extends_chain_is_one_error_not_a_recursion_error(tmp_path: Path) -> None:
    """An extends chain of 1,000 files ended in RecursionError (#16 item 9)."""
    for i in range(1000):
        parent = f"c{i + 1}.toml" if i < 999 else (INSTANCES / "toy.toml").as_posix()
        (tmp_path / f"c{i}.toml").write_text(f'extends = "{parent}"\n', encoding="utf-8")
    with pytest.raises(InstanceError, match="at most 32 files in an extends chain from") as err:
        load_instance(tmp_path / "c0.toml")
    assert err.value.path == "extends"


@pytest.mark.parametrize("nested", ["[" * 1000 + "]" * 1000, "{a=" * 1000 + "1" + "}" * 1000])
def test_tables_nested_1000_deep_are_one_error(tmp_path: Path, nested: str) -> None:
    """TOML nested ~1,000 deep ended in RecursionError (#16 item 9)."""
    with pytest.raises(InstanceError, match="nested deeper than 32 levels"):
        load_instance(_toy_child(tmp_path, f"x = {nested}\n"))


def test_an_unreadable_parent_is_one_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parent file without read permission gave a PermissionError traceback (#16 item 9)."""
    parent = tmp_path / "parent.toml"
    parent.write_text((INSTANCES / "toy.toml").read_text(encoding="utf-8"), encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n', encoding="utf-8")
    opened = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "parent.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(InstanceError, match=r"parent\.toml: cannot read the file \(Permission"):
        load_instance(child)


@pytest.mark.parametrize(
    ("prefix", "tail", "ok"),
    [(b"\xef\xbb\xbf", b"", True), (b"", b"x" * 140_000 + b"\n", False)],
    ids=["byte-order-mark", "giant-cell"],
)
def test_profile_csv_with_a_bom_reads_and_a_giant_cell_is_one_error(
    tmp_path: Path, prefix: bytes, tail: bytes, ok: bool
) -> None:
    """Excel's BOM was refused; a 140,000-character cell was a csv.Error traceback (#16 9, 13)."""
    rows = "".join(f"{1 / 168!r}\n" for _ in range(168))
    (tmp_path / "p.csv").write_bytes(prefix + f"share\n{rows}".encode() + tail)
    child = _toy_child(tmp_path, '[demand]\nprofile = "p.csv"\n')
    if ok:
        load_instance(child)
        return
    with pytest.raises(InstanceError, match=r"p\.csv: cannot read profile CSV: field larger"):
        load_instance(child)


def test_an_unknown_key_with_a_newline_is_one_line(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """A key ``"extra\\nkey"`` gave a two-line error (#16 item 13)."""
    child = _toy_child(tmp_path, '"extra\\nkey" = 1\n')
    result = run_cli("validate", str(child))
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "unknown key 'extra\\nkey'" in result.err


def test_an_error_in_a_bare_number_of_a_what_if_names_the_what_if_file(tmp_path: Path) -> None:
    """`target_share = 95` in a variant: the error names the variant, not the parent (#18 7)."""
    child = _toy_child(tmp_path, "[demand.streams.emergency]\ntarget_share = 95\n")
    with pytest.raises(InstanceError) as info:
        load_instance(child)
    assert info.value.file == str(child)
    assert info.value.path.startswith("demand.streams.emergency.target_share")
    assert "at most 1" in info.value.message


def test_a_bare_number_in_a_what_if_is_one_rule_for_new_and_existing_figures(
    tmp_path: Path,
) -> None:
    """A bare number in a file that extends another is a what-if value wherever a figure is
    expected: over a figure the parent sets, and for one it leaves out (#18 7)."""
    toy = load_instance(INSTANCES / "toy.toml")
    assert toy.demand.streams["emergency"].patience_s is None  # the parent leaves it out
    child = _toy_child(tmp_path, "[demand.streams.emergency]\npatience_s = 600\naht_s = 250\n")
    merged = load_instance(child)
    new, existing = (merged.demand.streams["emergency"].patience_s,
                     merged.demand.streams["emergency"].aht_s)  # fmt: skip
    assert new is not None and new.value == 600 and existing.value == 250
    assert new.assumption is not None and "what-if set in child.toml" in new.assumption
    assert "no base value" in new.assumption
    assert existing.assumption is not None and "what-if set in child.toml" in existing.assumption
