"""flowzero.serving.gunicorn_conf's settings and worker-socket hooks, without starting gunicorn.

The module sets environment variables when imported (BLAS threads, the metrics directory), so
each check runs in a child interpreter. test_deploy.py runs the hooks inside real gunicorn.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("gunicorn", reason="gunicorn is not installed (the serving extra)")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(tmp_path, body: str, **env: str) -> str:
    script = textwrap.dedent("""
        import os, socket, types
        from flowzero.serving import gunicorn_conf as conf
    """) + textwrap.dedent(body)
    full_env = dict(
        os.environ,
        FLOWZERO_RUN_DIR=str(tmp_path / "run"),
        FLOWZERO_LOG_DIR=str(tmp_path / "log"),
        PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
        **env,
    )
    full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    r = subprocess.run(
        [sys.executable, "-c", script], env=full_env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_event_loop_and_heartbeat_directory(tmp_path):
    out = _run(
        tmp_path,
        """
        print(conf.asgi_loop)
        print(conf.worker_tmp_dir)
        print(conf.worker_sockets)
    """,
    ).split()
    assert out[0] == "asyncio"  # never "auto": uvloop lost large bodies under load
    assert os.path.isdir(out[1]) and out[1] in ("/dev/shm", str(tmp_path / "run"))
    assert out[2] == "True"
    out = _run(
        tmp_path,
        "print(conf.asgi_loop, conf.worker_tmp_dir, conf.worker_sockets)",
        FLOWZERO_ASGI_LOOP="uvloop",
        FLOWZERO_WORKER_TMP_DIR="/somewhere",
        FLOWZERO_WORKER_SOCKETS="0",
    ).split()
    assert out == ["uvloop", "/somewhere", "False"]


def test_slots_go_free_first_then_to_the_oldest_holder(tmp_path):
    out = _run(
        tmp_path,
        """
        W = types.SimpleNamespace
        server = W(WORKERS={}, num_workers=2)
        age = [0]
        def spawn():
            age[0] += 1
            w = W(age=age[0])
            conf.pre_fork(server, w)
            server.WORKERS[age[0]] = w
            return w.flowzero_slot
        def stop(*ages):
            for a in ages:
                del server.WORKERS[a]
        print(spawn(), spawn())            # a fresh start (ages 1, 2): 0 1
        stop(1)                            # kill -9 of slot 0's worker
        print(spawn())                     # its replacement (3): 0
        print(spawn(), spawn())            # a HUP: new 4, 5 take over 2's and 3's slots: 1 0
        stop(2, 3)                         # the old ones stop
        server.num_workers = 3             # TTIN
        print(spawn())                     # 6: 2
        server.num_workers = 2             # TTOU stops the oldest (4, slot 1)
        stop(4)
        print(spawn(), spawn())            # the next HUP (7, 8): the empty slot 1, then 0
    """,
    )
    assert out.split() == ["0", "1", "0", "1", "0", "2", "1", "0"]


def test_a_worker_socket_is_bound_and_removed_only_by_its_owner(tmp_path):
    out = _run(
        tmp_path,
        """
        import logging
        cfg = types.SimpleNamespace(umask=0o007, uid=os.getuid(), gid=os.getgid(), backlog=16,
                                    reuse_port=False)
        server = types.SimpleNamespace(cfg=cfg, log=logging.getLogger("t"))
        path = conf.worker_socket_path(0)
        old = types.SimpleNamespace(flowzero_slot=0, sockets=["shared"])
        conf.post_fork(server, old)
        print(old.sockets[0], str(old.sockets[1]) == "unix:" + path)
        print(oct(os.stat(path).st_mode & 0o777))
        new = types.SimpleNamespace(flowzero_slot=0, sockets=["shared"])
        conf.post_fork(server, new)        # a reload: the new worker takes the path over
        conf.worker_exit(server, old)      # the old one leaves: the path is not its any more
        c = socket.socket(socket.AF_UNIX); c.connect(path); c.close()
        print("kept")
        conf.worker_exit(server, new)
        print(os.path.exists(path))
    """,
    )
    assert out.split() == ["shared", "True", "0o770", "kept", "False"]
