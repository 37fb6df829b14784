"""Refuses outgoing connections from the benchmark's Python processes.

Reading the SDKs' sources says nothing the benchmark calls goes out; this makes a mistake in
that reading (or a changed SDK) fail loudly instead of reaching a real cloud address such as
the ECS metadata service or an STS endpoint.
"""

import ipaddress
import socket


class NetworkRefused(RuntimeError):
    """A connection the benchmark does not allow was attempted."""


def _allowed(address, allow_loopback):
    if isinstance(address, (str, bytes)):
        # A Unix-domain socket path: local by construction.
        return True
    try:
        ip = ipaddress.ip_address(address[0])
    except ValueError:
        # connect() with a host name: refuse rather than resolve it here.
        return False
    return allow_loopback and ip.is_loopback


def install(allow_loopback=False):
    """Patches `socket.socket` so a connect to any address not allowed raises."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self, address):
        if not _allowed(address, allow_loopback):
            raise NetworkRefused(f"benchmark refuses a connection to {address[0]!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _allowed(address, allow_loopback):
            raise NetworkRefused(f"benchmark refuses a connection to {address[0]!r}")
        return real_connect_ex(self, address)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
