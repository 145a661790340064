"""Loopback ports for the processes a demo, bench or test starts.

A port is handed out before the process that will listen on it binds it. Asking the kernel for
port 0 returns a port from its ephemeral range, the range it also draws the source port of every
outgoing connection from, so in that gap a node dialling its peers can take the port and the new
process fails with "address already in use". These ports come from below that range, one after
another from a start that differs between processes, and each is checked free when handed out.
"""

import os
import socket
from pathlib import Path

LOWEST = 20_000


def ephemeral_floor() -> int:
    """The kernel's first ephemeral port (Linux's `ip_local_port_range`; IANA's 49152 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49_152


class PortRange:
    """Hands out ports in [LOWEST, ephemeral floor) in order, never the same one twice until it wraps."""

    def __init__(self, seed: int):
        self.low, self.high = LOWEST, max(LOWEST + 1_000, ephemeral_floor())
        self.next = self.low + seed * 7_919 % (self.high - self.low)

    def take(self, count: int = 1) -> int:
        """The first of `count` consecutive ports, all free on loopback now."""
        for _ in range((self.high - self.low) // count):
            base = self.next if self.next + count <= self.high else self.low
            self.next = base + count
            if all(is_free(port) for port in range(base, base + count)):
                return base
        raise OSError(f"no {count} consecutive free loopback ports in {self.low}..{self.high - 1}")


def is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


PORTS = PortRange(os.getpid())
"""One sequence per process, so two callers in it never get the same port."""


def free_port() -> int:
    return PORTS.take()


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (a testnet numbers its nodes' ports from one base)."""
    return PORTS.take(count)
