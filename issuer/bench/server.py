"""The servers ``certreg bench`` measures: a bare FastAPI JSON endpoint, the registry app, and
the back office (for the wallets' OpenID4VCI endpoints).

Each runs as uvicorn does with ``--workers``: a master process binds the socket and starts
worker processes (``spawn``) that serve it, so the figures are those of a two-worker
deployment (the back office runs in one, as ``certreg serve`` runs it:
:data:`issuer.bench.wallets.WORKERS`). The master runs as ``python -m issuer.bench.server``,
takes its job as JSON on standard input (so the registry's intake secret and the key's
passphrase never appear on a command line), prints
``{"port": …, "pids": […]}`` once the workers are started, and stops them when its
standard input closes — also when the bench that started it dies, however it dies. A worker
ends by itself when the master is gone (:func:`issuer.lifeline.die_with_parent`), so a
master killed outright leaves no server behind holding the port.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import sys
from typing import Any

from issuer.lifeline import die_with_parent

__all__ = ["bare_app", "issuer_app", "registry_app"]


def bare_app() -> Any:
    """The ceiling: the least a FastAPI JSON endpoint can do."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    return app


def registry_app(job: dict[str, Any]) -> Any:
    """The public registry as deployed, over the bench's registry store, without the
    per-client rate limits (the load comes from one address; a limit would measure itself)."""
    from registry import RegistryStore, create_registry_app
    from registry.store import create_registry_engine

    url = job["registry_url"]
    options = {}
    if job.get("search_path"):
        options["connect_args"] = {"options": f"-csearch_path={job['search_path']}"}
    store = RegistryStore(create_registry_engine(url, **options))
    return create_registry_app(
        store, intake_token=job.get("intake_token"), lookup_limit=None, page_limit=None
    )


def issuer_app(job: dict[str, Any]) -> Any:
    """The back office as ``certreg serve`` builds it without a registry, over the bench's
    issuer store, with the settings the bench chose (``job["settings"]``: among them the
    wallet endpoints' per-client limit, raised so the load from one address is served)."""
    from issuer.http.app import create_app
    from issuer.settings import Settings
    from issuer.store import Store, create_issuer_engine

    options = {}
    if job.get("search_path"):
        options["connect_args"] = {"options": f"-csearch_path={job['search_path']}"}
    store = Store(create_issuer_engine(job["issuer_url"], **options))
    return create_app(Settings(**job["settings"]), store=store)


def _app(job: dict[str, Any]) -> Any:
    if job["app"] == "registry":
        return registry_app(job)
    if job["app"] == "issuer":
        return issuer_app(job)
    return bare_app()


def _serve(sock: socket.socket, job: dict[str, Any]) -> None:
    die_with_parent()
    import uvicorn

    from issuer.heap import freeze_startup_heap

    app = _app(job)
    freeze_startup_heap()  # as ``certreg serve`` does
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    job = json.loads(sys.stdin.readline())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_serve, args=(sock, job), daemon=True)
        for _ in range(int(job.get("workers", 2)))
    ]
    for worker in workers:
        worker.start()
    port = sock.getsockname()[1]
    print(json.dumps({"port": port, "pids": [w.pid for w in workers]}), flush=True)
    sys.stdin.read()  # until the bench closes the pipe
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=10)


if __name__ == "__main__":
    main()
