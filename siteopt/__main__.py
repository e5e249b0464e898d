"""``python -m siteopt``: the same command line as ``siteopt``."""

from siteopt.cli import entry_point

entry_point()
