"""The web application: routes of ``siteopt serve`` (Starlette), and :func:`run` to serve it.

Pages and fragments are HTML rendered here (:mod:`siteopt.serve.views`); the JSON API is what
the page's script calls and what the tests drive:

- ``GET /`` the page (``?instance=path`` under the instances folder);
- ``GET /api/instances`` the instance files; ``GET /api/instance?path=`` one file's figures
  and sites;
- ``POST /api/validate`` check a what-if; ``POST /api/solve`` start a solve (a job);
- ``GET /api/jobs/{id}`` its state and result (``?previous=`` another job to compare with);
- ``POST /api/jobs/{id}/cancel``; ``GET /jobs/{id}/map`` the map; ``GET /jobs/{id}/export.zip``;
- ``POST /api/variant`` save the what-if as a variant file.

Bad input is answered ``422`` with ``errors``: one ``{field, message}`` per field, the message
being the CLI's one line. A path outside the instances folder is ``403``. Requests must name
this machine as their host (no DNS rebinding) and send JSON to change anything (no form posted
from another site).
"""

from __future__ import annotations

import errno
import io
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from siteopt.errors import ArgumentError, SiteoptError
from siteopt.serve.editor import Change, FieldError, WhatIf, what_if
from siteopt.serve.files import InstanceFiles
from siteopt.serve.jobs import Jobs
from siteopt.serve.opened import InstanceCache, OpenedInstance
from siteopt.serve.variant import save_variant
from siteopt.serve.views import (
    comparison_html,
    constraints_html,
    costs_html,
    options_html,
    page_html,
    summary_html,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from siteopt.instance.schema import Instance
    from siteopt.optimise.result import Result
    from siteopt.serve.jobs import Job

__all__ = ["DEFAULT_INSTANCE", "create_app", "plotly_js", "run"]


#: The instance the page opens when none is named (when the folder has it).
DEFAULT_INSTANCE = "bch-2015.toml"

STATIC = Path(__file__).parent / "static"


def plotly_js() -> Path:
    """The plotly.js bundle of the installed plotly package (``/static/plotly.min.js``)."""
    import plotly  # noqa: PLC0415 (lazy: plotly is slow to import)

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class Server:
    """What the routes share: the instances folder, the files opened, the jobs."""

    def __init__(self, folder: Path, workers: int) -> None:
        self.files = InstanceFiles.at(folder)
        self.cache = InstanceCache(self.files)
        self.jobs = Jobs(workers=workers)

    def default_instance(self) -> str:
        entries = self.files.entries()
        paths = [e.path for e in entries]
        return DEFAULT_INSTANCE if DEFAULT_INSTANCE in paths else (paths[0] if paths else "")

    def parse(self, body: dict[str, Any]) -> tuple[OpenedInstance, WhatIf, list[FieldError]]:
        """The instance and the what-if a request names (``ArgumentError`` if malformed)."""
        opened = self.cache.open(_text(body, "instance"))
        raw = body.get("changes", {})
        if not isinstance(raw, dict):
            raise ArgumentError("changes", "expected an object of figure path → {value, reason}")
        changes = {str(k): _change(k, v) for k, v in raw.items()}
        excluded = body.get("excluded", list(opened.base_excluded))
        if not isinstance(excluded, list) or not all(isinstance(s, str) for s in excluded):
            raise ArgumentError("excluded", "expected a list of site ids")
        change, errors = what_if(
            opened.groups, changes, excluded, opened.site_ids, opened.base_excluded
        )
        return opened, change, errors

    def checked(
        self, body: dict[str, Any]
    ) -> tuple[OpenedInstance, WhatIf, Instance | None, list[FieldError]]:
        """The request's what-if validated: the instance, or ``None`` and the field errors."""
        opened, change, errors = self.parse(body)
        if errors:
            return opened, change, None, errors
        instance, errors = opened.validate(change)
        return opened, change, instance, errors


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise ArgumentError(key, f"expected a string, got {value!r}")
    return value


def _change(path: Any, value: Any) -> Change:
    if isinstance(value, dict):
        text, reason = value.get("value", ""), value.get("reason", "")
    else:
        text, reason = value, ""
    if isinstance(text, bool):
        text = "true" if text else "false"
    if not isinstance(text, str | int | float) or not isinstance(reason, str):
        raise ArgumentError("changes", f"{path}: expected a value and a reason")
    return Change(str(text), reason)


def _errors(errors: list[FieldError], status: int = 422) -> JSONResponse:
    return JSONResponse({"errors": [asdict(e) for e in errors]}, status_code=status)


def _refused(exc: SiteoptError) -> JSONResponse:
    """403 for a path outside the folder, 404 for a missing file, 422 for other bad input."""
    message = str(exc.message) if isinstance(exc, ArgumentError) else str(exc)
    if isinstance(exc, ArgumentError) and exc.field == "instance":
        status = 404 if "no such instance" in exc.message else 403
    else:
        status = 422
    field = exc.field if isinstance(exc, ArgumentError) else ""
    return JSONResponse({"errors": [{"field": field, "message": message}]}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ArgumentError("content-type", "expected application/json")
    try:
        body = await request.json()
    except ValueError:
        raise ArgumentError("body", "expected a JSON object") from None
    if not isinstance(body, dict):
        raise ArgumentError("body", "expected a JSON object")
    return body


def create_app(
    folder: Path | str = "instances", *, workers: int = 2, hosts: tuple[str, ...] = ()
) -> Starlette:
    """Return the application serving the instance files under ``folder``.

    Parameters
    ----------
    folder
        The instances folder: the only place files are listed, opened and saved.
    workers
        Solves that may run at once (each in its own thread).
    hosts
        Host names the server answers besides ``127.0.0.1`` and ``localhost``.

    Raises
    ------
    ArgumentError
        If ``folder`` is not a folder.
    """
    server = Server(Path(folder), workers)

    async def page(request: Request) -> Response:
        chosen = request.query_params.get("instance") or server.default_instance()
        opened, error = None, None
        try:
            opened = server.cache.open(chosen) if chosen else None
        except SiteoptError as exc:
            error = str(exc)
        html = page_html(server.files.entries(), chosen, opened, error)
        return HTMLResponse(html, status_code=200 if error is None else 422)

    async def instances(request: Request) -> Response:
        return JSONResponse({"instances": [asdict(e) for e in server.files.entries()]})

    async def instance(request: Request) -> Response:
        try:
            opened = server.cache.open(request.query_params.get("path", ""))
        except SiteoptError as exc:
            return _refused(exc)
        return JSONResponse(_instance_json(opened))

    async def what_if_of(request: Request) -> Response | tuple[OpenedInstance, WhatIf, Instance]:
        """The request's validated what-if, or the response refusing it."""
        try:
            opened, change, checked, errors = server.checked(await _json_body(request))
        except SiteoptError as exc:
            return _refused(exc)
        return _errors(errors) if checked is None else (opened, change, checked)

    async def validate(request: Request) -> Response:
        got = await what_if_of(request)
        if isinstance(got, Response):
            return got
        return JSONResponse({"ok": True, "overrides": got[1].overrides()})

    async def solve(request: Request) -> Response:
        got = await what_if_of(request)
        if isinstance(got, Response):
            return got
        opened, _, checked = got
        job = server.jobs.submit(opened.relative, lambda: _solve(checked))
        return JSONResponse(_job_json(job), status_code=202)

    async def job_state(request: Request) -> Response:
        job = server.jobs.get(request.path_params["job"])
        if job is None:
            return _unknown_job()
        previous = server.jobs.get(request.query_params.get("previous", ""))
        return JSONResponse(_job_json(job, previous, with_html=True))

    async def cancel(request: Request) -> Response:
        job = server.jobs.cancel(request.path_params["job"])
        return _unknown_job() if job is None else JSONResponse(_job_json(job))

    def map_page(request: Request) -> Response:
        job = server.jobs.get(request.path_params["job"])
        if job is None or job.result is None or job.result.solution is None:
            return HTMLResponse("<p>No plan to map.</p>", status_code=404)
        if "map" not in job.cache:
            job.cache["map"] = _map_html(job.result)
        return HTMLResponse(job.cache["map"])

    def export(request: Request) -> Response:
        job = server.jobs.get(request.path_params["job"])
        if job is None or job.result is None:
            return _unknown_job()
        name = Path(job.instance).stem
        headers = {"Content-Disposition": f'attachment; filename="{name}-business-case.zip"'}
        return Response(_export_zip(job.result), media_type="application/zip", headers=headers)

    async def variant(request: Request) -> Response:
        try:
            body = await _json_body(request)
            opened, change, errors = server.parse(body)
            name, title = _text(body, "file"), str(body.get("title", ""))
        except SiteoptError as exc:
            return _refused(exc)
        if errors:
            return _errors(errors)
        path, errors = save_variant(opened, change, name, title)
        if errors or path is None:
            return _errors(errors)
        relative = server.files.relative(path)
        return JSONResponse({"saved": relative, "url": f"/?instance={relative}"}, status_code=201)

    async def plotly(request: Request) -> Response:
        return FileResponse(plotly_js(), media_type="text/javascript")

    hosts_allowed = ["127.0.0.1", "localhost", "testserver", *hosts]
    routes = [
        Route("/", page),
        Route("/api/instances", instances),
        Route("/api/instance", instance),
        Route("/api/validate", validate, methods=["POST"]),
        Route("/api/solve", solve, methods=["POST"]),
        Route("/api/jobs/{job}", job_state),
        Route("/api/jobs/{job}/cancel", cancel, methods=["POST"]),
        Route("/api/variant", variant, methods=["POST"]),
        Route("/jobs/{job}/map", map_page),
        Route("/jobs/{job}/export.zip", export),
        Route("/static/plotly.min.js", plotly),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts_allowed)],
        lifespan=_lifespan(server),
    )
    app.state.server = server
    return app


def _lifespan(server: Server) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Stop the solver threads' queue when the server stops."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        server.jobs.shutdown()

    return lifespan


def _unknown_job() -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": "job", "message": "no such job (the server keeps the latest 64)"}]},
        status_code=404,
    )


def _solve(instance: Instance) -> Result:
    import siteopt  # noqa: PLC0415 (lazy: the solver stages)

    return siteopt.solve(instance)


def _instance_json(opened: OpenedInstance) -> dict[str, Any]:
    groups = [
        {
            "path": g.path,
            "label": g.label,
            "fields": [
                {"path": f.path, "value": f.value, "kind": f.kind, f.provenance: f.note}
                for f in g.fields
            ],
        }
        for g in opened.groups
    ]
    sites = [
        {"id": sid, "name": name, "on": sid not in opened.base_excluded}
        for sid, name in opened.sites
    ]
    return {"path": opened.relative, "name": opened.instance.name, "groups": groups, "sites": sites}


def _job_json(job: Job, previous: Job | None = None, *, with_html: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "instance": job.instance,
        "state": job.state,
        "elapsed_s": round(job.elapsed_s, 3),
        "error": job.error,
    }
    if job.state == "done" and job.result is not None:
        out["result"] = job.cache.setdefault("json", job.result.to_dict())
        if with_html:
            out["html"] = _result_html(job, previous)
    return out


def _result_html(job: Job, previous: Job | None) -> dict[str, str]:
    result = job.result
    assert result is not None
    if "html" not in job.cache:
        names = (
            {sid: result.instance.site_name(sid) for sid in result.instance.candidate_ids()}
            if result.instance
            else {}
        )
        job.cache["html"] = {
            "summary": summary_html(result),
            "costs": costs_html(result),
            "constraints": constraints_html(result),
            "options": options_html(result, names),
        }
    html = dict(job.cache["html"])
    if previous is not None and previous.result is not None and previous is not job:
        from siteopt.outputs.compare import comparison  # noqa: PLC0415 (lazy: only after two runs)

        compared = comparison(
            previous.result,
            result,
            name_a=f"previous run ({previous.id})",
            name_b=f"this run ({job.id})",
        )
        html["compare"] = comparison_html(compared)
    return html


def _map_html(result: Result) -> str:
    from siteopt.outputs.data import export_data  # noqa: PLC0415 (lazy: geopandas)
    from siteopt.outputs.gis import gis_layers  # noqa: PLC0415 (lazy: geopandas)
    from siteopt.outputs.webmap import webmap_html  # noqa: PLC0415 (lazy: plotly)

    data = export_data(result)
    return webmap_html(data, gis_layers(data), plotly_src="/static/plotly.min.js")


def _export_zip(result: Result) -> bytes:
    """Every business-case output of a result, written to a temporary folder and zipped."""
    from siteopt.outputs.write import write_outputs  # noqa: PLC0415 (lazy: every writer)

    folder = Path(tempfile.mkdtemp(prefix="siteopt-export-"))
    try:
        out = folder / "business-case"
        write_outputs(result, out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(out.rglob("*")):
                if file.is_file():
                    archive.write(file, file.relative_to(out).as_posix())
        return buffer.getvalue()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path | str = "instances", *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the page until interrupted (uvicorn), printing its address first.

    Raises
    ------
    ArgumentError
        If ``folder`` is not a folder.
    """
    import uvicorn  # noqa: PLC0415 (lazy: only when serving)

    extra = (host,) if host not in {"127.0.0.1", "localhost"} else ()
    app = create_app(folder, hosts=extra)
    _check_port_free(host, port)
    print(f"siteopt serve: open http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_port_free(host: str, port: int) -> None:
    """Raise :class:`ArgumentError` naming ``--port`` if the address cannot be bound.

    uvicorn would print its own log line and exit with 3, the code of an infeasible plan.
    """
    import socket  # noqa: PLC0415 (lazy: only when serving)

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = (
            "in use (another siteopt serve?)" if exc.errno == errno.EADDRINUSE else exc.strerror
        )
        msg = f"cannot listen on {host}:{port}: {reason}; choose another with --port"
        raise ArgumentError("port", msg) from None
