"""Regenerate flowzero/proto/*_pb2.py from the .proto schemas next to them.

    python scripts/gen_protos.py          # needs `pip install grpcio-tools` (it bundles protoc)

The schemas are TensorFlow's messages (package `tensorflow`, TF's field names and numbers), cut
down to the fields flowzero reads or writes, so TF's files parse and TF reads ours.

The generated modules register their messages in flowzero's own descriptor pool
(`flowzero/proto/_pool.py`) instead of protobuf's default pool: TensorFlow registers messages
with the same full names (`tensorflow.GraphDef`, ...) in the default pool, and two registrations
of one name in one pool fail, so with the default pool `import tensorflow` and flowzero's protos
could not live in one process. The wire and text formats do not carry the pool, so both read
each other's bytes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_DIR = ROOT / "flowzero" / "proto"

DEFAULT_POOL = "_descriptor_pool.Default()"
OWN_POOL_IMPORT = "from flowzero.proto._pool import POOL as _FLOWZERO_POOL\n"


def main() -> int:
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:
        print("gen_protos: needs grpcio-tools (pip install grpcio-tools)", file=sys.stderr)
        return 1
    include = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    protos = sorted(str(p.relative_to(ROOT)) for p in PROTO_DIR.glob("*.proto"))
    args = ["protoc", f"-I{ROOT}", f"-I{include}", f"--python_out={ROOT}", *protos]
    rc = protoc.main(args)
    if rc != 0:
        print(f"gen_protos: protoc failed ({rc})", file=sys.stderr)
        return rc
    for path in sorted(PROTO_DIR.glob("*_pb2.py")):
        text = path.read_text()
        if DEFAULT_POOL not in text:
            print(f"gen_protos: {path.name}: no default-pool registration found", file=sys.stderr)
            return 1
        text = text.replace(DEFAULT_POOL, "_FLOWZERO_POOL")
        text = re.sub(r"(# @@protoc_insertion_point\(imports\)\n)", r"\1" + OWN_POOL_IMPORT, text)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    subprocess.run(["git", "-C", str(ROOT), "status", "--short", str(PROTO_DIR)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
