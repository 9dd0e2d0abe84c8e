"""Binding the server's socket before serving, so the caller can print the real address first.

Clients that connect early wait in the backlog until the server accepts. Port 0 picks a free port.

Example:
    >>> sock = listen("127.0.0.1", 0)
    >>> base_url(sock)
    'http://127.0.0.1:39573/v1'
    >>> uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""

from __future__ import annotations

import socket

from nsllm_cli.errors import NsllmError

__all__ = ["base_url", "listen"]


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (`host`, `port`); port 0 picks a free one (read it from ``getsockname()``).

    Binding before serving lets a caller print the real address first: clients that connect early
    wait in the backlog until the server accepts.

    Raises:
        NsllmError: when the address cannot be bound.
    """
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise NsllmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise NsllmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port/v1`` for a listening socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"
