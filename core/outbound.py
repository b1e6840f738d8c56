"""Every connection Vigil opens to a host someone typed in (cameras, webhooks, feeds) passes here.

The hosts come from operators and API clients, so without a check they are a way into what the
server itself can reach: a cloud instance's metadata service (its credentials) at 169.254.169.254,
link-local services. ``VIGIL_OUTBOUND_BLOCKED_NETWORKS`` lists the refused networks, and each
outbound connection is checked twice:

- **at save** (``validate_url_host``): a numeric host is read as the C library reads it, legacy
  spellings included (``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``, ``169.254.43518``),
  and an IPv6 address that carries an IPv4 one (IPv4-mapped/compatible, NAT64, 6to4, Teredo) is
  checked for both;
- **at connect** (``connect``, ``session``, ``CheckingProxy``): the name is resolved once, every
  address is checked, and the connection goes to a checked address, so a name that resolves
  differently a moment later (DNS rebinding) cannot slip past. HTTP clients keep the name for the
  Host header, SNI and certificate checks; redirects are not followed (``session``) or each hop is
  checked again (``CheckingProxy``, for ffmpeg).
"""

from __future__ import annotations

import collections
import contextlib
import ipaddress
import logging
import os
import select
import socket
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Where an IPv6 address carries an IPv4 one that a gateway or the host's own stack would reach.
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: any RFC 6052 prefix length inside it
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT (RFC 6145): ::ffff:0:a.b.c.d
# The cloud metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; Alibaba): whatever
# VIGIL_OUTBOUND_BLOCKED_NETWORKS says, a start-up warning names any of them left reachable.
METADATA_ADDRESSES = [ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")]


class BlockedAddress(ValueError):
    """A host that is, or resolves to, an address Vigil must never connect to."""


def blocked_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return list(settings.OUTBOUND_BLOCKED_NETWORKS)


def _rfc6052_ipv4(address: ipaddress.IPv6Address, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address embedded after a NAT64 prefix of ``prefix_length`` bits (bits 64-71 are skipped)."""
    packed = address.packed
    octets = [i for i in range(prefix_length // 8, 16) if i != 8][:4]
    return ipaddress.IPv4Address(bytes(packed[i] for i in octets))


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for or tunnels to (mapped, compatible, NAT64, 6to4, Teredo)."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _IPV4_TRANSLATED:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _NAT64_LOCAL:
        found.extend(_rfc6052_ipv4(address, length) for length in (48, 56, 64, 96))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client): the client is de-obfuscated by ipaddress
    return found


def address_blocked(address: Address) -> bool:
    """Whether ``address``, or an IPv4 address it carries, is in ``VIGIL_OUTBOUND_BLOCKED_NETWORKS``."""
    candidates: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        candidates += embedded_ipv4(address)
    networks = blocked_networks()
    return any(candidate in network for candidate in candidates for network in networks)


def warn_if_metadata_reachable() -> list[Address]:
    """Log a WARNING (once, at start-up) for each cloud metadata address the configured list leaves open.

    ``VIGIL_OUTBOUND_BLOCKED_NETWORKS`` replaces the default list (a city may need link-local cameras),
    so a list written for another purpose (``10.0.0.0/8``) can unblock the metadata service unnoticed.
    """
    reachable = [address for address in METADATA_ADDRESSES if not address_blocked(address)]
    for address in reachable:
        logger.warning(
            "VIGIL_OUTBOUND_BLOCKED_NETWORKS leaves the cloud metadata address %s reachable: a camera or webhook "
            "URL could read this server's cloud credentials. Add it to the list unless no cloud runs here.",
            address,
        )
    return reachable


def numeric_host(host: str) -> Address | None:
    """The address a numeric host means to the C library, as ffmpeg and requests would connect; ``None`` for a name.

    ``getaddrinfo(AI_NUMERICHOST)`` accepts what ``inet_aton`` does: one to four parts, each decimal,
    octal (leading 0) or hex (0x), so ``2852039166`` and ``0251.0376.0251.0376`` are 169.254.169.254.
    """
    host = host.strip().strip("[]")
    for candidate in {host, host.rstrip(".")}:
        try:
            return ipaddress.ip_address(candidate.split("%", 1)[0])
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(candidate, None, flags=socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError, ValueError):
            continue
        return ipaddress.ip_address(infos[0][4][0].split("%", 1)[0])
    return None


def host_refuse_blocked_spelling(host: str) -> None:
    """``BlockedAddress`` when ``host`` is a numeric address (in any spelling) in a blocked network."""
    address = numeric_host(host)
    if address is not None and address_blocked(address):
        raise BlockedAddress(f"{host} is {address}, a link-local or cloud metadata address; refused")


def validate_url_host(url: str, *, what: str = "host") -> None:
    """Raise ``ValidationError`` when the URL's host is a blocked address or cannot be read unambiguously.

    A host name passes here: it is checked again where it resolves, at every connection.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a non-numeric port
    except ValueError as exc:
        raise ValidationError(gettext("This is not a valid URL: %(reason)s.") % {"reason": exc}) from None
    if not host:
        raise ValidationError(gettext("The URL has no host name."))
    # Parsers disagree on such a URL (Python drops a tab that ffmpeg keeps; one reads a name where another
    # reads an address after \\ or a second @): refuse to guess.
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValidationError(gettext("The URL holds a space or a control character; percent-encode it (%20)."))
    if "\\" in parts.netloc or parts.netloc.count("@") > 1:
        raise ValidationError(
            gettext("The URL's host part is ambiguous (a \\ or two @); percent-encode the user name.")
        )
    # ``169%2e254%2e169%2e254``: one client decodes it, another does not; an IPv6 zone (``[fe80::1%25eth0]``)
    # is the only % a host needs.
    if "%" in host and not parts.netloc.rpartition("@")[2].startswith("["):
        raise ValidationError(gettext("The host name holds a %; type it without percent-encoding."))
    try:
        host_refuse_blocked_spelling(host)
    except BlockedAddress:
        raise ValidationError(
            gettext("Link-local and cloud metadata addresses are not allowed as a %(what)s.") % {"what": what}
        ) from None


def resolve_checked(host: str, port: int | None) -> list[tuple[int, tuple]]:
    """Resolve ``host`` once and return its ``(family, sockaddr)`` pairs; ``BlockedAddress`` if any is blocked.

    Every address counts, not only the first: a name that mixes a camera's address with the
    metadata address would otherwise reach it on the next try.
    """
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    result = []
    for family, _, _, _, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address_blocked(address):
            raise BlockedAddress(f"{host} resolves to {address}, a link-local or cloud metadata address; refused")
        result.append((family, sockaddr))
    return result


def connect(
    host: str,
    port: int,
    *,
    timeout: float | None,
    source_address: tuple[str, int] | None = None,
    socket_options: Iterable[tuple[int, int, int]] | None = None,
) -> socket.socket:
    """A TCP connection to ``host`` at an address that was checked (never resolved again).

    ``BlockedAddress`` for a blocked host; ``OSError`` (``socket.gaierror`` too) as
    ``socket.create_connection`` raises them.
    """
    error: OSError | None = None
    for family, sockaddr in resolve_checked(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"{host} has no address")


# --- requests ----------------------------------------------------------------------------


class _CheckedConnectionMixin:
    """urllib3 connection whose socket goes to a checked address; TLS still names the host."""

    def _new_conn(self) -> socket.socket:
        from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

        # urllib3's "no timeout given" sentinel means the socket default, as in create_connection.
        timeout = self.timeout if self.timeout is None or isinstance(self.timeout, int | float) else None
        try:
            return connect(
                self._dns_host, self.port, timeout=timeout if timeout is not None else socket.getdefaulttimeout(),
                source_address=self.source_address, socket_options=self.socket_options,
            )  # fmt: skip
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class _CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class CheckedAdapter(HTTPAdapter):
    """A requests adapter whose every connection is checked against the blocked networks."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise BlockedAddress("outbound requests do not go through a proxy: the proxy would connect unchecked")


class _NoRedirectSession(requests.Session):
    def get_redirect_target(self, resp: requests.Response) -> None:
        return None  # a 3xx is the answer: the next hop was never checked, and a signed request stays put


def session() -> requests.Session:
    """A requests session for operator-given URLs: checked connections, no proxy from the environment,
    and no redirects followed (a 3xx comes back as the response, whatever ``allow_redirects`` says).

    ``BlockedAddress`` propagates unwrapped from ``get``/``post``, so callers can say what happened.
    """
    checked = _NoRedirectSession()
    checked.trust_env = False  # HTTP(S)_PROXY would send the request to a proxy that connects unchecked
    adapter = CheckedAdapter()
    checked.mount("http://", adapter)
    checked.mount("https://", adapter)
    return checked


# --- A checking proxy for ffmpeg ---------------------------------------------------------


class CheckingProxy:
    """A forward HTTP proxy on 127.0.0.1 that connects only to checked addresses, for ffmpeg.

    ffmpeg resolves and connects by itself, follows redirects, and fetches whatever hosts an HLS
    playlist names; given ``-http_proxy`` it sends every one of those requests (``CONNECT`` for
    https) here instead, so each hop, segment and key is checked where it really connects.
    One request per client connection (``Connection: close``): a kept-alive connection cannot be
    reused for another host. One proxy per ffmpeg run (a context manager), so ``refused`` says why
    that run failed.
    """

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.refused: collections.deque[str] = collections.deque(maxlen=10)  # why, newest last
        self._thread = threading.Thread(target=self._serve, name="outbound-proxy", daemon=True)
        self._thread.start()

    def __enter__(self) -> CheckingProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            worker = threading.Thread(target=self._handle_quietly, args=(client,), name="outbound-proxy-conn")
            worker.daemon = True
            worker.start()

    def _handle_quietly(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):  # ffmpeg went away (killed at its deadline): nothing to tell
            self._handle(client)

    def _handle(self, client: socket.socket) -> None:
        with client:
            client.settimeout(30)
            try:
                head = _read_head(client)
            except OSError:
                return
            if head is None:
                return
            request, _, rest = head.partition(b"\r\n")
            try:
                method, target, version = request.decode("latin-1").split(" ", 2)
            except ValueError:
                client.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                return
            if method.upper() == "CONNECT":
                host, _, port = target.rpartition(":")
                forward = b""
            else:
                try:
                    parts = urlsplit(target)
                    host, port = parts.hostname, str(parts.port or 80)
                    plain_http = parts.scheme.lower() == "http"
                except ValueError:
                    host, plain_http = None, False
                if not plain_http or not host:
                    client.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                    return
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                headers = [
                    h for h in rest.split(b"\r\n") if h and not h.lower().startswith((b"proxy-", b"connection:"))
                ]
                forward = b"\r\n".join([f"{method} {path} {version}".encode("latin-1"), *headers,
                                        b"Connection: close", b"", b""])  # fmt: skip
            try:
                upstream = connect(host, int(port), timeout=10)
            except BlockedAddress as exc:
                self.refused.append(str(exc))
                logger.warning("refused an outbound connection: %s", exc)
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                return
            except (OSError, ValueError):
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                if forward:
                    upstream.sendall(forward)
                else:
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                _pipe(client, upstream)


def _read_head(sock: socket.socket, limit: int = 64 * 1024) -> bytes | None:
    """The request line and headers, read byte-exactly up to the blank line (nothing of the body)."""
    data = bytearray()
    while not data.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        if not chunk or len(data) > limit:
            return None
        data += chunk
    return bytes(data[:-4])


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until either side closes."""
    a.settimeout(None)
    b.settimeout(None)
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], 60)
        if not readable:
            return
        for sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            (b if sock is a else a).sendall(data)


def subprocess_env() -> dict[str, str]:
    """The environment for a subprocess that connects through a ``CheckingProxy``: no ``no_proxy``
    exemption and no proxy of its own that would connect unchecked."""
    skipped = {"no_proxy", "http_proxy", "https_proxy", "all_proxy"}
    return {name: value for name, value in os.environ.items() if name.lower() not in skipped}
