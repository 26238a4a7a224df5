"""The ASGI app: TensorFlow Serving's REST API, KServe v2, health, metrics and the demo page.

Routes only translate: read the body (bounded), hand it to a thread pool that parses it,
checks it against the signature, runs the model version's Session and encodes the answer, and
send that back. Every failure is a JSON {"error": "..."} with TF Serving's status codes; an
unexpected exception is logged and answered with a 500 without a traceback, and never takes the
worker down.

Routes:
    GET  /                                        the drawing demo (enable_demo)
    GET  /healthz                                 200 when every model has a version loaded
    GET  /metrics                                 Prometheus
    GET  /v1/models/NAME[/versions/V]             model_version_status
    GET  /v1/models/NAME[/versions/V]/metadata    signature_def
    POST /v1/models/NAME[/versions/V]:predict     row ("instances") or columnar ("inputs")
    GET  /v2, /v2/health/live, /v2/health/ready
    GET  /v2/models/NAME[/versions/V][/ready]     KServe v2 model metadata / readiness
    POST /v2/models/NAME[/versions/V]/infer       KServe v2 inference (JSON or binary)
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowzero.serving import codec, kserve, metrics
from flowzero.serving.config import ServingConfig
from flowzero.serving.repository import ModelRepository, parse_version
from flowzero.serving.servable import ServingError

log = logging.getLogger("flowzero.serving")
JSON = "application/json"
# A request may run on the event loop itself when requests like it (same model, body size
# within a factor of two) took less CPU time than this; anything slower goes to the pool.
INLINE_MAX_S = 5e-3
# Bodies up to this size are not counted against max_inflight_bytes (see ServingApp._reserve).
SMALL_BODY_BYTES = 64 * 1024


class Reply:
    __slots__ = ("status", "body", "headers", "media_type", "batch")

    def __init__(
        self,
        status: int,
        body: bytes,
        media_type: str = JSON,
        headers: dict[str, str] | None = None,
        batch: int | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.media_type = media_type
        self.headers = headers
        self.batch = batch


def declared_length(request: Request, limit: int) -> int | None:
    """The request's Content-Length (None when it sends chunks); 413 above `limit`."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    try:
        n = int(declared)
    except ValueError:
        n = -1
    if n < 0:
        raise ServingError(400, f"Invalid Content-Length {declared!r}.")
    if n > limit:
        raise ServingError(
            413, f"Request body of {n} bytes exceeds the limit of {limit} bytes (max_body_bytes)."
        )
    return n


async def read_body(
    request: Request, limit: int, on_chunk: Callable[[bytes, int], None] | None = None
) -> bytes:
    """The request body, refusing (413) as soon as it is known to exceed `limit` bytes.

    `on_chunk(chunk, total bytes so far)` runs after each chunk (it may raise to stop).
    """
    declared_length(request, limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ServingError(
                413, f"Request body exceeds the limit of {limit} bytes (max_body_bytes)."
            )
        if on_chunk is not None:
            on_chunk(chunk, size)
        chunks.append(chunk)
    return b"".join(chunks)


def error_reply(e: ServingError) -> Reply:
    return Reply(e.status, codec.error_body(e.message), headers=e.headers)


def limit_blas_threads(n: int | None) -> None:
    """At most `n` BLAS threads in this process (threadpoolctl, when installed).

    NOTE: a server's parallelism is its workers and inference threads; a multi-threaded BLAS
    under each of them oversubscribes the CPUs (on 2 busy cores a 100x784 @ 784x50 matmul took
    4 ms with OpenBLAS's threads, 0.1 ms with one). gunicorn_conf also sets
    OPENBLAS_NUM_THREADS=1 before the workers import NumPy.
    """
    if not n:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n, user_api="blas")


class ServingApp:
    """Holds the repository, the thread pool and the route handlers of one app instance."""

    def __init__(self, config: ServingConfig, repository: ModelRepository | None = None) -> None:
        self.config = config
        self.repo = repository or ModelRepository(
            config.model_base_path,
            list(config.model_names),
            config.poll_interval_s,
            config.sessions_per_model,
            load_timeout_s=config.load_timeout_s,
            max_file_bytes=config.max_model_file_bytes,
        )
        self.repo.listeners.append(lambda name, v: metrics.VERSION.labels(name).set(v))
        self.pool: ThreadPoolExecutor | None = None
        self.started = False
        # (model, body size class) -> CPU seconds a request took (moving average)
        self._cost: dict[tuple[str, int], float] = {}
        self._in_pool = 0  # requests handed to the pool and not yet answered
        self._in_pool_costly = 0  # ... of which the ones too slow to run inline
        self._pool_idle = asyncio.Event()
        self._pool_idle.set()
        self._inflight = 0  # body bytes reserved by requests in progress (event loop only)

    # -- lifetime ----------------------------------------------------------------------------
    async def startup(self) -> None:
        if self.started:
            return
        limit_blas_threads(self.config.blas_threads)
        self._pool_idle = asyncio.Event()  # on this loop (a test may start the app again)
        self._pool_idle.set()
        self.pool = ThreadPoolExecutor(
            max_workers=self.config.inference_threads, thread_name_prefix="flowzero-inference"
        )
        await asyncio.get_running_loop().run_in_executor(self.pool, self.repo.start)
        self.started = True
        log.info(
            "flowzero serving %s from %s", ", ".join(self.repo.model_names), self.repo.base_path
        )

    async def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)  # requests in flight finish first
            self.pool = None
        self.repo.stop()
        self.started = False

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()

    # -- plumbing ------------------------------------------------------------------------------
    def _model(self, request: Request) -> tuple[str, int | None]:
        name = request.path_params["name"]
        if not self.repo.has_model(name):
            raise ServingError(
                404,
                f"Servable not found for request: Latest({name}): no such "
                f"model (serving: {', '.join(self.repo.model_names)}).",
            )
        raw = request.path_params.get("version")
        if raw is None:
            return name, None
        version = parse_version(raw)
        if version is None:
            raise ServingError(404, f"Invalid model version {raw!r}: versions are integers.")
        return name, version

    async def _body(self, request: Request, json_bytes: int | None = None) -> bytes:
        """The request body, within the limits: max_body_bytes (413), the memory its JSON (the
        first `json_bytes` bytes; None: all) could take once parsed (max_parse_bytes: 413,
        counted as the chunks arrive), the bytes in flight across requests
        (max_inflight_bytes: 503 with Retry-After) and body_timeout_s (408).

        The bytes stay reserved until the request is answered (endpoint releases them).
        """
        cfg = self.config
        declared = declared_length(request, cfg.max_body_bytes)
        self._reserve(request, declared or 0)
        meter = codec.ParseCostMeter(cfg.max_parse_bytes, declared, json_bytes)

        def on_chunk(chunk: bytes, size: int) -> None:
            meter.feed(chunk)
            held = request.scope.get("flowzero.reserved", 0)
            if size > held:  # chunked bodies (no Content-Length) reserve as they come
                self._reserve(request, size - held)

        try:
            return await asyncio.wait_for(
                read_body(request, cfg.max_body_bytes, on_chunk), cfg.body_timeout_s
            )
        except asyncio.TimeoutError:
            raise ServingError(
                408,
                f"The request body did not arrive within "
                f"{cfg.body_timeout_s:g} s (body_timeout_s).",
            ) from None

    def _reserve(self, request: Request, n: int) -> None:
        limit = self.config.max_inflight_bytes
        if request.scope.get("flowzero.reserved", 0) + n <= SMALL_BODY_BYTES:
            return  # NOTE: small bodies are bounded by the connection cap, not by this budget,
            # so that large ones cannot starve ordinary traffic
        if n and self._inflight + n > limit:
            metrics.REJECTED.labels("inflight_bytes").inc()
            raise ServingError(
                503,
                f"The server is holding {self._inflight} bytes of request "
                f"bodies (limit {limit}, max_inflight_bytes); retry later.",
                {"Retry-After": "1"},
            )
        self._inflight += n
        request.scope["flowzero.reserved"] = request.scope.get("flowzero.reserved", 0) + n

    async def _offload(
        self, fn: Callable[..., Reply], name: str, *args: Any, size: int = 0
    ) -> Reply:
        """fn(name, *args) on the event loop when requests like this one are cheap, else on the
        inference pool.

        NOTE: the hand-off to the pool costs CPU: thread wake-ups and the GIL passed back and
        forth. For 100-instance TwoLayerNet requests through nginx, running them here took a
        worker from 3.6-3.8 to 3.2-3.4 ms of CPU per request (1-instance ones: 1,239-1,562 ->
        1,476-2,869 requests/s). Blocking the loop for at most a few milliseconds is the price;
        a slow model, a big body, the first requests of a kind (cost unknown) and anything
        while the pool holds costly work go to the pool, so the loop never waits there long
        (nor for a Session: inline runs only with the pool empty).
        """
        if self.pool is None:  # used without its lifespan (e.g. a bare TestClient)
            raise ServingError(503, "The server is starting or stopping; try again.")
        key = (name, size.bit_length())
        cheap = (
            size <= self.config.inline_max_bytes
            and self._cost.get(key, INLINE_MAX_S) < INLINE_MAX_S
        )
        if cheap and self._in_pool and not self._in_pool_costly:
            # Only cheap work in the pool: it is done within milliseconds. Waiting for it
            # (instead of joining it) lets a worker that started under load go inline.
            await self._pool_idle.wait()
        if cheap and not self._in_pool:
            return self._timed(key, fn, name, *args)
        self._in_pool += 1  # only the event loop's thread touches these
        self._in_pool_costly += not cheap
        self._pool_idle.clear()
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self.pool, self._timed, key, fn, name, *args
            )
        finally:
            self._in_pool -= 1
            self._in_pool_costly -= not cheap
            if not self._in_pool:
                self._pool_idle.set()

    def _timed(self, key: tuple[str, int], fn: Callable[..., Reply], *args: Any) -> Reply:
        # Thread CPU time: what the loop would be blocked for, without the waits for the GIL
        # that a pool thread sees under load.
        t0 = time.thread_time()
        try:
            return fn(*args)
        except ServingError as e:
            # NOTE: answered here, not re-raised: the traceback would keep the frames, and the
            # parsed body in them, alive until the event loop got to it (9 GB under 32
            # concurrent 16 MB bodies that parse but fail validation).
            return error_reply(e)
        except Exception:
            log.exception("request to model %s failed", args[0] if args else "?")
            return Reply(
                500,
                codec.error_body("Internal error while handling the request; see the server log."),
            )
        finally:
            spent = time.thread_time() - t0
            # NOTE: a racy read-modify-write across threads only blurs the average a little.
            old = self._cost.get(key)
            self._cost[key] = spent if old is None else 0.8 * old + 0.2 * spent

    def _observe_run(self, name: str, seconds: float) -> None:
        metrics.INFERENCE.labels(name).observe(seconds)

    def endpoint(self, api: str, handler: Callable[[Request], Any]) -> Callable[..., Any]:
        async def run(request: Request) -> Response:
            started = time.perf_counter()
            name = request.path_params.get("name", "")
            label = name if self.repo.has_model(name) else ""
            try:
                reply = await handler(request)
            except ServingError as e:
                reply = error_reply(e)
            except Exception:  # a bug: log it, answer without a traceback
                log.exception("%s %s failed", request.method, request.url.path)
                reply = Reply(
                    500,
                    codec.error_body(
                        "Internal error while handling the request; see the server log."
                    ),
                )
            finally:
                self._inflight -= request.scope.pop("flowzero.reserved", 0)
            metrics.REQUESTS.labels(label, api, str(reply.status)).inc()
            metrics.LATENCY.labels(label, api).observe(time.perf_counter() - started)
            if reply.batch is not None:
                metrics.BATCH.labels(label, api).observe(reply.batch)
            return Response(reply.body, reply.status, reply.headers, reply.media_type)

        return run

    # -- TF Serving ----------------------------------------------------------------------------
    async def v1_status(self, request: Request) -> Reply:
        name, version = self._model(request)
        states = self.repo.states(name)
        if version is not None:
            states = [s for s in states if s.version == version]
            if not states:
                raise ServingError(404, f"Could not find version {version} of model {name}.")
        elif not states:
            raise ServingError(404, f"Could not find any versions of model {name}.")
        return Reply(200, codec.status_json(states))

    async def v1_metadata(self, request: Request) -> Reply:
        name, version = self._model(request)
        with self.repo.acquire(name, version) as s:
            return Reply(200, codec.metadata_json(name, s.version, s.signatures))

    async def v1_verb(self, request: Request) -> Reply:
        name, version = self._model(request)
        verb = request.path_params["verb"]
        if verb in ("classify", "regress"):
            raise ServingError(
                501, f":{verb} is not implemented by flowzero serving; use :predict."
            )
        if verb != "predict":
            raise ServingError(404, f"Unknown method :{verb}; flowzero serves :predict.")
        body = await self._body(request)
        return await self._offload(self._predict, name, version, body, size=len(body))

    def _predict(self, name: str, version: int | None, body: bytes) -> Reply:
        dense = codec.parse_dense(body)
        if dense is not None:  # one numeric tensor, parsed without Python objects
            sig_name, fmt, arr = dense
            with self.repo.acquire(name, version) as s:
                key, sig = s.signature(sig_name)
                feeds = codec.decode_dense(arr, sig)
                if feeds is not None:
                    return self._run(s, name, key, feeds, fmt, arr.shape[0])
        doc = codec.parse_json(body)
        sig_name = doc.get("signature_name") if isinstance(doc, dict) else None
        if sig_name is not None and not isinstance(sig_name, str):
            raise ServingError(400, '"signature_name" must be a string.')
        with self.repo.acquire(name, version) as s:
            key, sig = s.signature(sig_name)
            # (a float input refuses true/false: the walk for them only when the body has one)
            feeds, fmt, batch = codec.decode_predict(
                doc, sig, scan_bools=b"true" in body or b"false" in body
            )
            return self._run(s, name, key, feeds, fmt, batch)

    def _run(
        self, s: Any, name: str, key: str, feeds: dict[str, Any], fmt: str, batch: int
    ) -> Reply:
        t0 = time.perf_counter()
        outputs = s.run(key, feeds)
        self._observe_run(name, time.perf_counter() - t0)
        return Reply(200, codec.encode_predict(outputs, fmt), batch=batch)

    # -- KServe v2 -----------------------------------------------------------------------------
    async def v2_server(self, request: Request) -> Reply:
        from flowzero import __version__

        return Reply(
            200,
            codec.dumps(
                {"name": "flowzero", "version": __version__, "extensions": ["binary_tensor_data"]}
            ),
        )

    async def v2_live(self, request: Request) -> Reply:
        return Reply(200, codec.dumps({"live": True}))

    async def v2_ready(self, request: Request) -> Reply:
        ready = self.repo.ready()
        return Reply(200 if ready else 503, codec.dumps({"ready": ready}))

    async def v2_model(self, request: Request) -> Reply:
        name, version = self._model(request)
        with self.repo.acquire(name, version) as s:
            key, sig = s.signature(None)
            return Reply(200, kserve.model_metadata(name, [s.version], sig))

    async def v2_model_ready(self, request: Request) -> Reply:
        name, version = self._model(request)
        current = self.repo.current_version(name)
        ready = current is not None and (version is None or version == current)
        return Reply(200 if ready else 503, codec.dumps({"name": name, "ready": ready}))

    async def v2_infer(self, request: Request) -> Reply:
        name, version = self._model(request)
        body = await self._body(request, kserve.json_length(request.headers.get(kserve.HEADER)))
        return await self._offload(
            self._infer, name, version, body, request.headers.get(kserve.HEADER), size=len(body)
        )

    def _infer(
        self, name: str, version: int | None, body: bytes, header_length: str | None
    ) -> Reply:
        doc, binary = kserve.split_body(body, header_length)
        params = doc.get("parameters") if isinstance(doc, dict) else None
        sig_name = params.get("signature_name") if isinstance(params, dict) else None
        if sig_name is not None and not isinstance(sig_name, str):
            raise ServingError(400, "parameters.signature_name must be a string.")
        with self.repo.acquire(name, version) as s:
            key, sig = s.signature(sig_name)
            feeds, keys, binary_keys, extras = kserve.decode_infer(doc, binary, sig)
            t0 = time.perf_counter()
            outputs = s.run(key, feeds, keys)
            self._observe_run(name, time.perf_counter() - t0)
            out, n = kserve.encode_infer(name, s.version, outputs, sig, binary_keys, extras)
        batch = max((a.shape[0] for a in feeds.values() if a.ndim), default=1)
        if n is None:
            return Reply(200, out, batch=batch)
        return Reply(
            200,
            out,
            "application/octet-stream",
            {"Inference-Header-Content-Length": str(n)},
            batch=batch,
        )

    # -- the rest ------------------------------------------------------------------------------
    async def healthz(self, request: Request) -> Reply:
        models = {n: self.repo.current_version(n) for n in self.repo.model_names}
        ok = self.started and all(v is not None for v in models.values())
        return Reply(
            200 if ok else 503,
            codec.dumps({"status": "ok" if ok else "unavailable", "models": models}),
        )

    async def metrics_page(self, request: Request) -> Reply:
        body, ctype = metrics.render()
        return Reply(200, body, ctype)

    async def demo(self, request: Request) -> Reply:
        if not self.config.enable_demo:
            raise ServingError(404, "The demo page is disabled.")
        page = (
            resources.files("flowzero.serving")
            .joinpath("static/index.html")
            .read_text(encoding="utf-8")
        )
        page = page.replace("{{MODEL_NAME}}", html.escape(self.repo.model_names[0]))
        return Reply(200, page.encode(), "text/html; charset=utf-8")

    def routes(self) -> list[Route]:
        e = self.endpoint
        get, post = ["GET"], ["POST"]
        m, mv = "/v1/models/{name}", "/v1/models/{name}/versions/{version}"
        k, kv = "/v2/models/{name}", "/v2/models/{name}/versions/{version}"
        return [
            Route("/", e("demo", self.demo), methods=get),
            Route("/healthz", e("health", self.healthz), methods=get),
            Route("/metrics", e("metrics", self.metrics_page), methods=get),
            Route(m, e("status", self.v1_status), methods=get),
            Route(mv, e("status", self.v1_status), methods=get),
            Route(m + "/metadata", e("metadata", self.v1_metadata), methods=get),
            Route(mv + "/metadata", e("metadata", self.v1_metadata), methods=get),
            Route(m + ":{verb}", e("predict", self.v1_verb), methods=post),
            Route(mv + ":{verb}", e("predict", self.v1_verb), methods=post),
            Route("/v2", e("v2", self.v2_server), methods=get),
            Route("/v2/health/live", e("health", self.v2_live), methods=get),
            Route("/v2/health/ready", e("health", self.v2_ready), methods=get),
            Route(k, e("metadata", self.v2_model), methods=get),
            Route(kv, e("metadata", self.v2_model), methods=get),
            Route(k + "/ready", e("health", self.v2_model_ready), methods=get),
            Route(kv + "/ready", e("health", self.v2_model_ready), methods=get),
            Route(k + "/infer", e("infer", self.v2_infer), methods=post),
            Route(kv + "/infer", e("infer", self.v2_infer), methods=post),
        ]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal error"
    if status == 404:
        detail = f"Not found: {request.url.path}"
    elif status == 405:
        detail = f"Method {request.method} not allowed for {request.url.path}"
    headers = getattr(exc, "headers", None)
    return Response(codec.error_body(str(detail)), status, headers, JSON)


def create_app(config: ServingConfig, repository: ModelRepository | None = None) -> Starlette:
    """The Starlette app serving `config`. Models load when the ASGI lifespan starts (uvicorn,
    gunicorn's asgi worker, or `with TestClient(app)`), one Session set per worker process."""
    state = ServingApp(config, repository)
    app = Starlette(
        routes=state.routes(),
        lifespan=state.lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
    )
    app.state.serving = state
    return app


def app_from_env() -> Starlette:
    """The app configured by FLOWZERO_* environment variables (for gunicorn:
    `flowzero.serving.app:app_from_env()`)."""
    gunicorn_log = logging.getLogger("gunicorn.error")
    ours = logging.getLogger("flowzero")
    if gunicorn_log.handlers:  # under gunicorn: into its error log, at its level
        ours.handlers = list(gunicorn_log.handlers)
        ours.setLevel(gunicorn_log.level)
        ours.propagate = False
    else:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        from flowzero.platform import tf_logging

        tf_logging.route_to_root()
    return create_app(ServingConfig.from_env())
