"""Publishing a built dataset: checksums, manifest, attribution and README, swapped in at once.

Shared by every dataset build (``geodata.build`` for BCH, ``geodata.national.build``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["publish", "replace_dir", "sha256_of"]


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish(
    staging: Path,
    out: Path,
    manifest: dict[str, Any],
    attribution: dict[str, str],
    readme: Callable[[dict[str, Any]], str],
) -> None:
    """Write attribution, manifest (a checksum per output) and README, then swap ``staging`` in."""
    (staging / "attribution.json").write_text(
        json.dumps(attribution, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    manifest["outputs"] = {
        p.name: {"sha256": sha256_of(p), "bytes": p.stat().st_size}
        for p in sorted(staging.iterdir())
    }
    (staging / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (staging / "README.md").write_text(readme(manifest), encoding="utf-8")
    replace_dir(staging, out)


def replace_dir(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``, replacing any previous build (the old one is removed last)."""
    old = out.with_name(f".{out.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    out.chmod(0o755)  # mkdtemp made the staging folder private
    shutil.rmtree(old, ignore_errors=True)
