"""gunicorn configuration for flowzero serving: `gunicorn -c /path/to/deploy/gunicorn.conf.py`.

The settings live in flowzero.serving.gunicorn_conf (gunicorn's own ASGI worker when the
installed gunicorn has one, else uvicorn-worker; a unix socket in $FLOWZERO_RUN_DIR with umask
007; a pidfile; access and error logs in $FLOWZERO_LOG_DIR; one worker per CPU; graceful
timeout; HUP = graceful reload). Each can be set from the environment (the systemd unit does,
see deploy/systemd/flowzero.service) or overridden below.

What the app serves comes from FLOWZERO_MODEL_BASE_PATH and FLOWZERO_MODEL_NAME (BASE/NAME/<n>/).
docs/deploy.md walks through a whole installation.
"""

from flowzero.serving.gunicorn_conf import *  # noqa: F403

# Overrides, for example:
# workers = 4                      # default: one per CPU (inference is CPU-bound NumPy)
# graceful_timeout = 60            # seconds a worker gets to finish its requests on HUP/TERM
# bind = ["unix:/run/flowzero/flowzero.sock", "127.0.0.1:8501"]
