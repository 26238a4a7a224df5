"""An in-process client for the serving app (Starlette's TestClient, which runs the lifespan)."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # NOTE: starlette >= 1.x warns that its TestClient should move to httpx2; httpx still works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

__all__ = ["TestClient"]
