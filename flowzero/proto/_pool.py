"""flowzero's own protobuf descriptor pool (see scripts/gen_protos.py for why not the default)."""

from google.protobuf import any_pb2, descriptor_pool

POOL = descriptor_pool.DescriptorPool()
# The one well-known type the schemas import (MetaInfoDef.any_info, CollectionDef.AnyList).
POOL.AddSerializedFile(any_pb2.DESCRIPTOR.serialized_pb)
