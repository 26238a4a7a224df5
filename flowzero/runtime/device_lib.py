"""TF1's tensorflow.python.client.device_lib: the devices a Session runs on. flowzero runs
every kernel on the host CPU, so there is one: "/device:CPU:0".

Example:
    >>> from flowzero.python.client import device_lib
    >>> [d.name for d in device_lib.list_local_devices()]
    ['/device:CPU:0']
    >>> [d.name for d in device_lib.list_local_devices() if d.device_type == "GPU"]
    []
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

# TF reports 256 MiB for its CPU device unless the session config says otherwise.
_CPU_MEMORY_LIMIT = 268435456
_INCARNATION = random.SystemRandom().getrandbits(63)  # one per process, as TF's


@dataclass
class DeviceLocality:
    """Where a device sits (TF's DeviceLocality message): bus and NUMA node."""

    bus_id: int = 0
    numa_node: int = 0

    def __str__(self) -> str:
        fields = (("bus_id", self.bus_id), ("numa_node", self.numa_node))
        return "locality {\n" + "".join(f"  {k}: {v}\n" for k, v in fields if v) + "}"


@dataclass
class DeviceAttributes:
    """One device (the fields of TF's DeviceAttributes message); str() is its text format."""

    name: str = ""
    device_type: str = ""
    memory_limit: int = 0
    locality: DeviceLocality = field(default_factory=DeviceLocality)
    incarnation: int = 0
    physical_device_desc: str = ""
    xla_global_id: int = -1

    def __str__(self) -> str:
        lines = [f'name: "{self.name}"', f'device_type: "{self.device_type}"']
        lines.append(f"memory_limit: {self.memory_limit}")
        lines.append(str(self.locality))
        lines.append(f"incarnation: {self.incarnation}")
        if self.physical_device_desc:
            lines.append(f'physical_device_desc: "{self.physical_device_desc}"')
        lines.append(f"xla_global_id: {self.xla_global_id}")
        return "\n".join(lines) + "\n"

    __repr__ = __str__


def list_local_devices(session_config: Any = None) -> list[DeviceAttributes]:
    """The devices available to this process: one CPU device, "/device:CPU:0".

    Args:
        session_config: accepted for TF's signature (a tf.ConfigProto or None); flowzero has
            no other devices to list.

    Returns:
        A list of one DeviceAttributes (name, device_type "CPU", memory_limit, locality,
        incarnation, physical_device_desc, xla_global_id).
    """
    return [
        DeviceAttributes(
            name="/device:CPU:0",
            device_type="CPU",
            memory_limit=_CPU_MEMORY_LIMIT,
            incarnation=_INCARNATION,
        )
    ]


__all__ = ["list_local_devices", "DeviceAttributes", "DeviceLocality"]
