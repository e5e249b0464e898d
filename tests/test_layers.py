"""The package's stages import only the stages before them, and no module imports itself back.

The layers contract lives in ``pyproject.toml`` (``[tool.importlinter]``) and is checked by
import-linter; every import counts, including the lazy ones inside functions and those under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytest.importorskip("importlinter")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(root), "PATH": ""},
    )


def test_the_layers_contract_holds() -> None:
    """``lint-imports`` keeps the contract on the package as it is."""
    proc = _lint_imports(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_a_back_edge_breaks_the_layers_contract(tmp_path: Path) -> None:
    """An import from an early stage of a later one (instance → outputs) is reported."""
    shutil.copytree(
        REPO / "siteopt", tmp_path / "siteopt", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    figures = tmp_path / "siteopt" / "instance" / "figures.py"
    figures.write_text(figures.read_text() + "\nimport siteopt.outputs.report  # back-edge\n")
    proc = _lint_imports(tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "siteopt.instance is not allowed to import siteopt.outputs" in proc.stdout
    assert "siteopt.instance.figures -> siteopt.outputs.report" in proc.stdout


def test_no_module_imports_itself_back() -> None:
    """The module import graph, within packages too, has no cycle."""
    grimp = pytest.importorskip("grimp")
    import networkx as nx

    graph = grimp.build_graph("siteopt")
    edges = nx.DiGraph(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
    )
    assert list(nx.simple_cycles(edges)) == []


def test_siteopt_does_not_import_geodata() -> None:
    """geodata's build imports siteopt, so siteopt finds the datasets by path, never by import."""
    grimp = pytest.importorskip("grimp")

    graph = grimp.build_graph("siteopt", "geodata", cache_dir=None)  # a cache can be stale
    assert not graph.chain_exists(importer="siteopt", imported="geodata", as_packages=True)
