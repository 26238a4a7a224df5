"""`flowzero serve`: serve exported models over HTTP (uvicorn, or gunicorn with --production).

Like every subcommand, `add_parser(subparsers)` registers it and `args.func(args)` runs it,
returning the exit status (0 ok, 1 failure, 2 usage). Nothing here imports flowzero.serving,
starlette or uvicorn until a server actually starts, so `flowzero --help` works without the
serving extra. `python -m flowzero.serving` runs the same command through `main`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import Any

from flowzero.cli.common import non_negative_float, positive_float, positive_int

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8501


def _err(message: str) -> None:
    print(f"flowzero serve: error: {message}", file=sys.stderr, flush=True)


def _size(text: str) -> int:
    """Bytes, with an optional k/m/g suffix (powers of 1024): 16m."""
    t = text.strip().lower()
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(t[-1:], 1)
    try:
        v = int(float(t[:-1] if mult > 1 else t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size like 16m; got {text!r}") from None
    if v < 1024:
        raise argparse.ArgumentTypeError(f"expected at least 1k; got {text!r}")
    return v


def _model_names(values: list[str]) -> tuple[str, ...]:
    from flowzero.serving.repository import check_model_name

    names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
    for n in names:
        check_model_name(n)
    return names


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model-base-path",
        required=True,
        metavar="BASE",
        help="directory holding NAME/<version>/ exports",
    )
    p.add_argument(
        "--model-name",
        required=True,
        action="append",
        metavar="NAME",
        help="model to serve (repeat, or comma-separate, for several)",
    )
    p.add_argument(
        "--host",
        default=None,
        help=f"address to listen on (default: {DEFAULT_HOST}; 0.0.0.0 for all); "
        "not with --production or --uds",
    )
    p.add_argument(
        "--port",
        type=positive_int,
        default=None,
        help=f"TCP port (default: {DEFAULT_PORT}, TF Serving's REST port); not "
        "with --production or --uds",
    )
    p.add_argument("--uds", metavar="PATH", help="listen on this unix socket instead of TCP")
    p.add_argument(
        "--poll-interval",
        type=non_negative_float,
        default=2.0,
        metavar="SECONDS",
        help="how often to look for new versions (0: never; default %(default)s)",
    )
    p.add_argument(
        "--max-body-size",
        type=_size,
        default="16m",
        metavar="SIZE",
        help="larger request bodies get 413 (default: %(default)s)",
    )
    p.add_argument(
        "--inference-threads",
        type=positive_int,
        default=2,
        metavar="N",
        help="threads that parse and run requests, per process (default: 2)",
    )
    p.add_argument(
        "--sessions-per-model",
        type=positive_int,
        default=1,
        metavar="N",
        help="Sessions per model version, i.e. requests run at once (default: 1)",
    )
    p.add_argument(
        "--max-inflight-size",
        type=_size,
        default="128m",
        metavar="SIZE",
        help="request bodies held at once (503 + Retry-After beyond; default: %(default)s)",
    )
    p.add_argument(
        "--max-parse-size",
        type=_size,
        default="128m",
        metavar="SIZE",
        help="memory one request's JSON may take once parsed (413 beyond; default: %(default)s)",
    )
    p.add_argument(
        "--body-timeout",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="a request body must arrive within this (408; default %(default)s)",
    )
    p.add_argument(
        "--header-timeout",
        type=positive_float,
        default=10.0,
        metavar="SECONDS",
        help="a request head must arrive within this of connecting, or the "
        "connection closes (default %(default)s; not with --production)",
    )
    p.add_argument(
        "--keep-alive-timeout",
        type=positive_float,
        default=5.0,
        metavar="SECONDS",
        help="idle time between requests before a connection closes (default "
        "%(default)s; not with --production)",
    )
    p.add_argument(
        "--max-connections",
        type=positive_int,
        default=1000,
        metavar="N",
        help="open connections at most; more are closed at once (default "
        "%(default)s; not with --production)",
    )
    p.add_argument(
        "--log-rate",
        type=int,
        default=20,
        metavar="N",
        help="log records per message per 10 s, the rest counted (0: no limit; "
        "default %(default)s; not with --production)",
    )
    p.add_argument(
        "--load-timeout",
        type=positive_float,
        default=300.0,
        metavar="SECONDS",
        help="a model version still loading after this is given up (default %(default)s)",
    )
    p.add_argument(
        "--max-model-file-size",
        type=_size,
        default="4g",
        metavar="SIZE",
        help="largest file (and unpacked arrays) a model version may hold (default: %(default)s)",
    )
    p.add_argument("--no-demo", action="store_true", help="do not serve the demo page at /")
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    p.add_argument(
        "--production",
        action="store_true",
        help="run gunicorn with deploy/gunicorn.conf.py's settings (ASGI workers on "
        "a unix socket, pidfile, logs, graceful HUP reload) instead of uvicorn",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="with --production: worker processes (default: one per CPU)",
    )
    p.add_argument(
        "--run-dir",
        default=None,
        metavar="DIR",
        help="with --production: socket/pidfile directory (default /run/flowzero)",
    )
    p.add_argument(
        "--log-dir",
        default=None,
        metavar="DIR",
        help="with --production: access/error log directory, '-' for stderr "
        "(default /var/log/flowzero)",
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Registers `serve`: the REST server (TF Serving + KServe v2 APIs)."""
    p = subparsers.add_parser(
        "serve",
        help="serve exported models over HTTP (TF Serving REST API, KServe v2)",
        description="Serves the newest version under BASE/NAME/ and switches to new versions "
        "without a restart. Development: uvicorn on --host/--port. Production: "
        "--production (gunicorn), see docs/deploy.md.",
    )
    add_serve_arguments(p)
    p.set_defaults(func=run)
    return p


def _config(args: argparse.Namespace) -> Any:
    from flowzero.serving.config import ServingConfig

    return ServingConfig(
        model_base_path=args.model_base_path,
        model_names=_model_names(args.model_name),
        poll_interval_s=args.poll_interval,
        max_body_bytes=args.max_body_size,
        inference_threads=args.inference_threads,
        sessions_per_model=args.sessions_per_model,
        enable_demo=not args.no_demo,
        max_inflight_bytes=args.max_inflight_size,
        max_parse_bytes=args.max_parse_size,
        body_timeout_s=args.body_timeout,
        load_timeout_s=args.load_timeout,
        max_model_file_bytes=args.max_model_file_size,
    )


def _ignored_flags(args: argparse.Namespace) -> str | None:
    """Why this combination of flags cannot be honoured as given (None: it can). Each case
    would otherwise leave a flag without effect."""
    tcp = [f for f, v in (("--host", args.host), ("--port", args.port)) if v is not None]
    if args.production and tcp:
        return (
            f"{' and '.join(tcp)} cannot be used with --production: gunicorn then listens "
            "on a unix socket for nginx (RUN_DIR/flowzero.sock, RUN_DIR from --run-dir, "
            "default /run/flowzero; or --uds PATH), and nginx's `listen` line in "
            "deploy/nginx/flowzero.conf sets the public port (see docs/deploy.md). To "
            f"serve on TCP port {args.port or DEFAULT_PORT} without nginx, drop --production"
        )
    if args.uds and tcp:
        return f"{' and '.join(tcp)} cannot be used with --uds (a unix socket has no address)"
    alone = [
        f
        for f, v in (
            ("--workers", args.workers),
            ("--run-dir", args.run_dir),
            ("--log-dir", args.log_dir),
        )
        if v is not None
    ]
    if alone and not args.production:
        return (
            f"{', '.join(alone)} only take{'s' if len(alone) == 1 else ''} effect with "
            "--production (gunicorn); the development server is one uvicorn process"
        )
    return None


def run(args: argparse.Namespace) -> int:
    problem = _ignored_flags(args)
    if problem is not None:
        _err(problem)
        return EXIT_USAGE
    try:
        config = _config(args)
    except ValueError as e:
        _err(str(e))
        return EXIT_USAGE
    if not os.path.isdir(config.model_base_path):
        _err(f"--model-base-path {config.model_base_path!r} is not a directory")
        return EXIT_ERROR
    if args.production:
        return _run_gunicorn(args, config)
    try:
        import uvicorn  # noqa: F401

        from flowzero.serving import server
        from flowzero.serving.app import create_app
    except ImportError as e:
        _err(f"{e.name} is not installed: pip install 'flowzero[serving]'")
        return EXIT_ERROR
    import logging

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from flowzero.platform import tf_logging

    tf_logging.route_to_root()  # flowzero's records in the server's format and rate limit
    kw: dict[str, Any] = (
        {"uds": args.uds}
        if args.uds
        else {"host": args.host or DEFAULT_HOST, "port": args.port or DEFAULT_PORT}
    )
    limits = server.ServerLimits(
        header_timeout_s=args.header_timeout,
        keep_alive_s=args.keep_alive_timeout,
        max_connections=args.max_connections,
        log_rate=args.log_rate,
    )
    server.run(create_app(config), limits, log_level=args.log_level, **kw)
    return EXIT_OK


def _run_gunicorn(args: argparse.Namespace, config: Any) -> int:
    exe = shutil.which("gunicorn")
    if exe is None:
        _err("gunicorn is not installed: pip install 'flowzero[serving]'")
        return EXIT_ERROR
    env = dict(os.environ, **config.to_env())
    if args.workers:
        env["FLOWZERO_WORKERS"] = str(args.workers)
    if args.run_dir:
        env["FLOWZERO_RUN_DIR"] = os.path.abspath(args.run_dir)
    if args.log_dir:
        env["FLOWZERO_LOG_DIR"] = (
            args.log_dir if args.log_dir == "-" else os.path.abspath(args.log_dir)
        )
    if args.uds:
        env["FLOWZERO_BIND"] = f"unix:{os.path.abspath(args.uds)}"
    env["FLOWZERO_LOG_LEVEL"] = args.log_level
    argv = [exe, "-c", "python:flowzero.serving.gunicorn_conf"]
    sys.stdout.flush()
    os.execve(exe, argv, env)  # gunicorn's master replaces this process (signals go to it)
    return EXIT_ERROR  # not reached


def main(argv: list[str] | None = None) -> int:
    """`python -m flowzero.serving ...`: the serve command on its own."""
    p = argparse.ArgumentParser(
        prog="python -m flowzero.serving", description="Serve exported flowzero models over HTTP."
    )
    add_serve_arguments(p)
    args = p.parse_args(argv)
    return run(args)


__all__ = ["add_parser", "add_serve_arguments", "run", "main"]
