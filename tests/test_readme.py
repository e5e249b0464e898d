"""The README's two commands stay true, and CI runs exactly the README's test command."""

from __future__ import annotations

import re

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
