"""Runs the real deployment on loopback: gunicorn (deploy/gunicorn.conf.py, unix socket) behind
nginx (deploy/nginx/flowzero.conf with the socket, port and log paths swapped for temp ones).

Used by the benchmark bench/serve.py and by tests/serving/test_deploy.py (the suite may import
bench/; bench/ never imports tests/). Standard library only, like the rest of bench/. Every wait
is bounded.
"""

from __future__ import annotations

import grp
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = os.path.join(REPO, "deploy", "nginx", "flowzero.conf")
GUNICORN_CONF = os.path.join(REPO, "deploy", "gunicorn.conf.py")


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def have_gunicorn() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """Live child pids of `pid` (from /proc), zombies excluded."""
    out = []
    for d in os.listdir("/proc"):
        fields = _stat(d) if d.isdigit() else None
        if fields and int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return sorted(out)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each live pid (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def nginx_conf(
    tmp: str, run_dir: str, port: int, as_root: bool, group: str | None, workers: int
) -> str:
    site = open(SITE).read()
    # One worker socket line per worker, as docs/deploy.md says to write them.
    pattern = re.compile(r"^( *server unix:/run/flowzero/worker-)\d+(\.sock[^\n]*\n)", re.M)
    first = pattern.search(site)
    assert first, "deploy/nginx/flowzero.conf lists no worker socket"
    ours = "".join(f"{first.group(1)}{i}{first.group(2)}" for i in range(workers))
    site = pattern.sub(lambda m: ours if m.start() == first.start() else "", site)
    site = site.replace("unix:/run/flowzero/", f"unix:{run_dir}/")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    site = site.replace("listen [::]:80;", "")
    site = site.replace("/var/log/nginx/", tmp + "/")
    temps = "\n".join(
        f"    {k}_temp_path {tmp}/{k}_temp;"
        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = f"user nobody {group};" if as_root and group else ""
    return f"""{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/nginx-access.log;
{temps}
{site}
}}
"""


@dataclass
class Deployment:
    base: str
    model: str
    workers: int = 2
    port: int = 0
    tmp: str = ""
    run_dir: str = ""
    sock: str = ""
    group: str | None = None
    gunicorn: Any = None
    nginx: Any = None
    env: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)  # on top of the FLOWZERO_* set

    @property
    def master_pid(self) -> int:
        with open(os.path.join(self.run_dir, "gunicorn.pid")) as f:
            return int(f.read().strip())

    def start(self, timeout: float = 60.0) -> Deployment:
        as_root = os.geteuid() == 0
        self.tmp = tempfile.mkdtemp(prefix="flowzero-deploy-")
        # nginx's worker (nobody, when we are root) writes large bodies and responses to its
        # *_temp paths in here, so it must be able to traverse the prefix directory.
        os.chmod(self.tmp, 0o755)
        # The socket directory nginx's worker (nobody:nogroup when we are root) may traverse:
        # group nogroup, mode 0750, as /run/flowzero is for www-data in production.
        self.run_dir = tempfile.mkdtemp(prefix="flowzero-run-")
        self.group = None
        if as_root:
            try:
                self.group = grp.getgrnam("nogroup").gr_name
            except KeyError:
                self.group = None
        if self.group:
            os.chown(self.run_dir, -1, grp.getgrnam(self.group).gr_gid)
        os.chmod(self.run_dir, 0o750)
        self.sock = os.path.join(self.run_dir, "flowzero.sock")
        self.port = self.port or free_port()
        self.env = dict(
            os.environ,
            FLOWZERO_MODEL_BASE_PATH=self.base,
            FLOWZERO_MODEL_NAME=self.model,
            FLOWZERO_RUN_DIR=self.run_dir,
            FLOWZERO_LOG_DIR=os.path.join(self.tmp, "logs"),
            FLOWZERO_WORKERS=str(self.workers),
            FLOWZERO_POLL_INTERVAL="1",
            PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.env.update(self.extra_env)
        argv = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF]
        if self.group:  # workers run with the shared group; the socket is chowned to it
            argv += ["--group", self.group]
        self.gunicorn = subprocess.Popen(
            argv,
            env=self.env,
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        conf = os.path.join(self.tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(
                nginx_conf(self.tmp, self.run_dir, self.port, as_root, self.group, self.workers)
            )
        self.nginx = subprocess.Popen(
            [find_nginx(), "-p", self.tmp, "-c", conf],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p, name in ((self.gunicorn, "gunicorn"), (self.nginx, "nginx")):
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited with {p.returncode}: {self.logs()}")
            # NOTE: the first request through nginx waits for the workers' sockets, as traffic
            # does on a real host: nginx rests a socket that refused a connection for 2 s, and
            # a worker killed meanwhile (test_deploy) could leave no other upstream to retry on.
            try:
                if (
                    len(children(self.master_pid)) == self.workers
                    and all(
                        os.path.exists(self.worker_socket(i))
                        for i in range(self.workers)
                        if self.env.get("FLOWZERO_WORKER_SOCKETS", "1") != "0"
                    )
                    and self.request("GET", "/healthz", timeout=2)[0] == 200
                ):
                    return self
            except (OSError, ValueError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the deployment did not come up in {timeout} s: {self.logs()}")

    def worker_socket(self, slot: int) -> str:
        return os.path.join(self.run_dir, f"worker-{slot}.sock")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> tuple[int, bytes, dict[str, str]]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()

    def logs(self) -> str:
        out = []
        for name in ("logs/error.log", "nginx-error.log", "flowzero.error.log"):
            p = os.path.join(self.tmp, name)
            if os.path.exists(p):
                out.append(f"--- {name}\n" + open(p, errors="replace").read()[-3000:])
        return "\n".join(out)

    def stop(self) -> None:
        for p, sig in ((self.nginx, signal.SIGQUIT), (self.gunicorn, signal.SIGTERM)):
            if p is None or p.poll() is not None:
                continue
            p.send_signal(sig)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        if self.nginx is not None and self.nginx.stderr is not None:
            self.nginx.stderr.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
