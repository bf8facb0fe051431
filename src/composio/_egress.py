"""Where a connection to a URL that is not the API's may go: the SSRF rule, applied to the
address actually connected to (SPEC §18, ``docs/design-decisions.md``).

Why at connect time: :func:`composio._wire.internal_address` reads a URL's host as written --
IP literals and ``localhost`` -- so a name that *resolves* to ``127.0.0.1``, ``10.x`` or the
cloud metadata address ``169.254.169.254`` passed it, and a name could answer a public
address to a check and an internal one to the connection (DNS rebinding). Here the rule
judges each address a socket is about to connect to, after the lookup and before the
connect, so no byte of the request -- not even a TCP handshake -- reaches a refused address:

* the sync transport's urllib3 connections (``composio._deadline_http``) call
  :func:`open_socket` to make their socket;
* the async transport's ``aiohttp.TCPConnector`` gets :func:`socket_factory` (aiohttp calls it
  with each resolved address, in the connecting task, before the connect).

Which exchanges are checked: every one whose URL is not on the API's origin and goes direct
(:meth:`Egress.guard`, asked by both transports per exchange): a presigned upload or
download URL, a file URL from a tool result, a redirect hop to another origin. The transport
sets the :data:`guard` context variable around that exchange only; the API's own exchanges
leave it unset and pay one string test per exchange and one context-variable read per new
connection -- no lookup of their own. A pooled connection to another origin was checked when
it was made; a connection is never shared between origins.

Through a proxy the proxy resolves the name, so only the proxy's address is known here: the
URL's host is then checked as written (``composio._external.external_request``,
``_wire.redirect_target``), and what the name resolves to is the proxy's business.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from composio._redact import redact_url

if TYPE_CHECKING:
    from composio.errors import APIError
    from composio.pipeline import Request

__all__ = ["Egress", "Guard", "guard", "hosts", "ip_kind", "open_socket", "refusal"]


def ip_kind(text: str) -> str | None:
    """``"link-local"`` (where cloud metadata answers), ``"loopback"`` (``0.0.0.0`` is this
    host too), ``"private"``, or None (public) for an IP address in text (IPv4-mapped IPv6
    read as its IPv4 address, a ``%scope`` ignored). ``ValueError`` if it is not one."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return "link-local"
    if ip.is_loopback or ip.is_unspecified:
        return "loopback"
    return "private" if ip.is_private else None


def refusal(name: str, method: str, url: str, kind: str, why: str = "") -> str:
    """The text of every SSRF refusal, a literal host's or a resolved one's (``why``)."""
    return (
        f"{name}: refused to {method} {redact_url(url)}: a {kind} address{why}, handed out "
        "by an API that is not itself on one -- the SDK does not fetch from or send to the "
        "network it runs in for a server (SSRF). Nothing was sent there."
    )


class Guard:
    """One checked exchange: which addresses it may connect to, and the first one refused."""

    __slots__ = ("internal_ok", "refused")

    def __init__(self, internal_ok: bool) -> None:
        #: loopback and private allowed (the API is on such an address); link-local never
        self.internal_ok = internal_ok
        #: (kind, address) of the first address refused, for :meth:`error`
        self.refused: tuple[str, str] | None = None

    def admit(self, address: str) -> bool:
        kind = ip_kind(address)
        if kind is None or (self.internal_ok and kind != "link-local"):
            return True
        if self.refused is None:
            self.refused = (kind, address)
        return False

    def error(self, request: Request, url: str) -> APIError:
        from composio._request_info import request_info
        from composio.errors import APIError

        assert self.refused is not None
        kind, address = self.refused
        why = f" (its host resolved to {address})"
        return APIError(
            refusal(request.context.operation, request.method, url, kind, why),
            request=request_info(request, url),
        )


class Egress:
    """A transport's view of its API's origin: which exchanges :func:`open_socket` and
    :func:`socket_factory` check (:meth:`guard`), and whether the API is itself on an
    internal address (its ``base_url``'s host as written, as ``external_request`` reads it)."""

    __slots__ = ("_internal_ok", "_origin", "_prefix")

    def __init__(self, base_url: str) -> None:
        from composio._wire import internal_address, origin

        parts = urlsplit(base_url)
        self._prefix = f"{parts.scheme}://{parts.netloc}/"
        self._origin = origin(base_url)
        self._internal_ok = internal_address(base_url) is not None

    def guard(self, url: str, proxy: str | None) -> Guard | None:
        """A :class:`Guard` for an exchange with ``url`` sent direct to another origin; None
        for the API's own (a prefix test first: the API path pays nothing more) or a
        proxied one (the proxy resolves the name, see the module docstring)."""
        if proxy is not None or url.startswith(self._prefix):
            return None
        from composio._wire import origin

        if origin(url) == self._origin:
            return None
        return Guard(self._internal_ok)


#: The exchange in progress on this thread or task, when it is checked (:meth:`Egress.guard`).
guard: ContextVar[Guard | None] = ContextVar("composio_egress_guard", default=None)

#: Names this context resolves itself, name -> IP address: a hosts file that only code in
#: this process can write (``composio.testing.resolving``), read by both transports' lookups.
#: Why it exists: a test must make a name resolve to loopback or link-local without touching
#: ``/etc/hosts`` or DNS, and must go through the same lookup and check as production.
hosts: ContextVar[Mapping[str, str] | None] = ContextVar("composio_hosts", default=None)


class _Refused(OSError):
    """A refused address (async): an ``OSError`` so that aiohttp gives up on this address
    and tries the next one, as for any connect failure; the transport reports
    :meth:`Guard.error` instead of the connection error it becomes."""


def lookup(host: str, port: int) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` for a checked connection (blocking: only the sync transport calls it,
    in the caller's thread), or the :data:`hosts` entry for ``host``."""
    names = hosts.get()
    if names is not None and host in names:
        address = names[host]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def open_socket(conn: Any, new_conn: Callable[[], socket.socket]) -> socket.socket:
    """The socket for a urllib3 connection (its ``_new_conn``): ``new_conn()`` itself when
    nothing is checked, else the host looked up here and each admitted address connected
    to in turn by ``new_conn()`` with the connection's DNS host set to that address (so
    urllib3's own socket options, timeouts and errors apply), refused ones skipped."""
    check = guard.get()
    names = hosts.get()
    host: str = conn._dns_host
    if check is None and (names is None or host not in names):
        return new_conn()
    import urllib3.exceptions as u3ex

    try:
        addresses = lookup(host, conn.port)
    except socket.gaierror as exc:
        raise u3ex.NameResolutionError(conn.host, conn, exc) from exc
    last: Exception | None = None
    for *_, sockaddr in addresses:
        if check is not None and not check.admit(sockaddr[0]):
            continue
        conn._dns_host = sockaddr[0]
        try:
            return new_conn()
        except (u3ex.NewConnectionError, u3ex.ConnectTimeoutError) as exc:
            last = exc
        finally:
            conn._dns_host = host
    if last is not None and (check is None or check.refused is None):
        raise last
    # as urllib3 says "could not connect": nothing was sent (the transport reports why)
    raise u3ex.NewConnectionError(conn, f"no address of {host} may be connected to")


def socket_factory(addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp's ``TCPConnector(socket_factory=)``: called with each address it is about to
    connect to, in the connecting task (where :data:`guard` is set), on the loop -- no I/O."""
    check = guard.get()
    if check is not None and not check.admit(addr_info[4][0]):
        raise _Refused(f"{addr_info[4][0]} may not be connected to")
    family, type_, proto = addr_info[:3]
    return socket.socket(family=family, type=type_, proto=proto)


def resolver(aiohttp: Any) -> Any:
    """aiohttp's default resolver (threads, or aiodns when installed: never a blocking lookup
    on the loop) behind the :data:`hosts` entries. The caller closes it (a resolver given to
    a connector is not closed with it)."""
    from aiohttp.abc import AbstractResolver

    inner = aiohttp.DefaultResolver()

    class Resolver(AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
            names = hosts.get()
            if names is not None and host in names:
                address = names[host]
                return [
                    {
                        "hostname": host,
                        "host": address,
                        "port": port,
                        "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                        "proto": 0,
                        "flags": socket.AI_NUMERICHOST,
                    }
                ]
            return await inner.resolve(host, port, family)

        async def close(self) -> None:
            await inner.close()

    return Resolver()
