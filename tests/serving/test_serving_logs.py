"""The model server owns flowzero's log records: once it has configured logging, a module that
imports tf.logging later (a queue op, the meta-graph reader) must not reroute them to
tf.logging's own stderr handler, past the server's format and rate limit."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap


def test_route_to_root_keeps_the_servers_format_after_tf_logging_loads():
    code = textwrap.dedent(
        """
        import logging, sys
        logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                            format="SERVER %(levelname)s %(name)s: %(message)s")
        from flowzero.platform import tf_logging
        tf_logging.route_to_root()
        import flowzero.interop.meta_graph  # imports tf.logging again (a no-op now)
        logging.getLogger("flowzero.serving").warning("limit reached")
        tf_logging.warning("from tf.logging")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "SERVER WARNING flowzero.serving: limit reached" in out.stdout
    assert "SERVER WARNING flowzero: from tf.logging" in out.stdout
    assert "WARNING:flowzero:" not in out.stdout + out.stderr


def test_plain_scripts_keep_tf_loggings_handler():
    from flowzero.platform import tf_logging

    assert tf_logging.get_logger() is logging.getLogger("flowzero")
