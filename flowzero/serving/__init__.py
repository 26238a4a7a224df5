"""flowzero.serving: serve SavedModels over HTTP (TensorFlow Serving's REST API and KServe v2).

- `ModelRepository` watches `BASE/NAME/<int version>/` and hot-swaps to the newest version.
- `create_app(ServingConfig(...))` is the ASGI app (Starlette); routes only translate requests
  into `Session.run` on a thread pool.
- `python -m flowzero.serving --model-base-path BASE --model-name NAME --port 8501` runs it with
  uvicorn; deploy/gunicorn.conf.py runs it in production (docs/deploy.md).

Needs the `serving` extra: starlette, orjson, prometheus_client (+ uvicorn or gunicorn).
"""

from flowzero.serving.config import ServingConfig
from flowzero.serving.repository import ModelRepository, check_model_name
from flowzero.serving.servable import Servable, ServingError


def create_app(config: ServingConfig, repository: ModelRepository | None = None):  # noqa: ANN201
    """The ASGI app for `config` (see flowzero.serving.app.create_app)."""
    from flowzero.serving.app import create_app as _create

    return _create(config, repository)


__all__ = [
    "ServingConfig",
    "ModelRepository",
    "Servable",
    "ServingError",
    "create_app",
    "check_model_name",
]
