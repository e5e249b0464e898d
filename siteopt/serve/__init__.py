"""``siteopt serve``: a local web page where a planner changes assumptions and sees the answer move.

A small Starlette application (:func:`siteopt.serve.app.create_app`) bound to 127.0.0.1: pick an
instance file under the instances folder, edit its labelled figures and switch candidate sites
off, solve (in a worker thread, cancellable), and see the map, the cost table against today, the
NPV, the constraints with their margins, the ranked options and the change from the previous
run; save the what-if as an ``extends`` variant file, or export the business-case outputs as a
zip. Every asset is served from the package (no CDN, no map tiles).

Modules: :mod:`~siteopt.serve.files` (which files the browser may open),
:mod:`~siteopt.serve.editor`
(the figures of an instance and the planner's changes), :mod:`~siteopt.serve.variant` (the saved
variant file), :mod:`~siteopt.serve.jobs` (solves in worker threads), :mod:`~siteopt.serve.views`
(HTML), :mod:`~siteopt.serve.app` (routes).
"""

from __future__ import annotations

from pathlib import Path

from siteopt.errors import SiteoptError

__all__ = ["serve"]


def serve(folder: Path | str = "instances", *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the page for the instance files under ``folder`` until interrupted.

    Parameters
    ----------
    folder
        The instances folder: the only place the page lists, opens and saves files.
    host, port
        Where to listen (default: this machine only).

    Raises
    ------
    SiteoptError
        If the web packages are not installed (``pip install 'siteopt[serve]'``).
    ArgumentError
        If ``folder`` is not a folder.
    """
    try:
        from siteopt.serve.app import run  # noqa: PLC0415 (lazy: starlette, only when serving)
    except ModuleNotFoundError as exc:
        package = (exc.name or "").split(".")[0]
        if package not in {"starlette", "uvicorn"}:
            raise
        msg = f"siteopt serve needs {package}: pip install -e '.[serve]'"
        raise SiteoptError(msg) from None
    run(folder, host=host, port=port)
