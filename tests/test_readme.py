"""The README's two commands stay true, CI runs exactly the README's test command, and the
README's Python section runs and prints what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO


def readme_commands() -> list[str]:
    """The shell commands in the README's 'Two commands' section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_two_commands_install_and_run() -> None:
    """One command installs and solves the BCH default; one installs and runs the tests."""
    solve, test = readme_commands()
    assert solve == "pip install -e . && siteopt solve instances/bch-2015.toml"
    assert test == 'pip install -e ".[test]" && pytest'
    assert (REPO / "instances" / "bch-2015.toml").is_file()


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """.ci/run contains the README's test command as one of its lines."""
    _, test = readme_commands()
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in lines


def python_blocks() -> list[str]:
    """The Python code blocks of the README's 'Python' section, in order."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.+?)\n```", section, flags=re.DOTALL)


def printed_claims(block: str) -> list[str]:
    """What the block's ``print(...)  # shown`` comments say is printed (before any colon)."""
    return [
        line.split("  # ", 1)[1].split(":")[0].strip()
        for line in block.splitlines()
        if line.lstrip().startswith("print(") and "  # " in line
    ]


def test_the_python_section_runs_and_prints_what_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every block runs, in order and in one namespace, from a folder beside the instances;
    each commented ``print`` shows what its comment says."""
    blocks = python_blocks()
    assert len(blocks) >= 4
    (tmp_path / "instances").symlink_to(REPO / "instances")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"README.md Python block {number}", "exec"), namespace)
        shown = capsys.readouterr().out
        for claim in printed_claims(block):
            assert claim in shown, f"block {number}: {claim!r} not in {shown!r}"
    assert (tmp_path / "runs" / "bch" / "report.md").is_file()
