"""Who may talk to the server: the access token and the websocket Origin rule.

The token travels only in an `Authorization: Bearer` header or the websocket `auth`
message. A token in a URL is refused outright (URLs end up in logs, histories and
Referer headers), and tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

URL_TOKEN_PARAMS = ("token", "access_token", "auth", "api_key", "key")


def generate_token() -> str:
    return secrets.token_urlsafe(24)


def token_matches(given: str | None, expected: str) -> bool:
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def bearer_token(headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_in_url(query_params) -> bool:
    return any(name in query_params for name in URL_TOKEN_PARAMS)


def own_origin(scope, headers) -> str | None:
    """The origin a page served by this server has: scheme + Host header."""
    host = headers.get("host")
    if not host:
        return None
    secure = scope.get("scheme") in ("https", "wss")
    return f"{'https' if secure else 'http'}://{host}"


def origin_allowed(origin: str | None, scope, headers, allow_origins, hosts) -> bool:
    """Exact string comparison against the --allow-origin list and our own origin.

    Our own origin is built from the Host header, so it counts only when that host is one of
    our names (`hosts`, from allowed_hosts, not a '*'): a DNS-rebinding page sends its own
    name as Host and as Origin, and both must not be believed together.
    """
    if not origin:
        return False
    if origin in allow_origins:
        return True
    return host_of(headers.get("host", "")) in hosts and origin == own_origin(scope, headers)


def host_of(header: str) -> str:
    """The host part of a Host header value, lower case (an IPv6 literal keeps its brackets)."""
    header = header.strip().lower()
    return header.split("]", 1)[0] + "]" if header.startswith("[") else header.split(":", 1)[0]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_BINDS = ("", "0.0.0.0", "::")


def _host_name(host: str) -> str:
    """A host as it appears in a Host header: IPv6 literals in brackets, lower case."""
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def allowed_hosts(bind: str, allow_origins, allow_remote_hosts) -> list[str]:
    """Host header values the server answers (DNS rebinding defence, as Jupyter does).

    Loopback names, the address it was told to bind (this machine's names when that is a
    wildcard), the hosts of --allow-origin URLs and --allow-remote-host names ('*' allows any).
    """
    hosts = set(LOOPBACK_HOSTS)
    if bind in WILDCARD_BINDS:
        hosts.update({socket.gethostname().lower(), socket.getfqdn().lower()})
    else:
        hosts.add(_host_name(bind))
    hosts.update(_host_name(urlsplit(o).hostname or "") for o in allow_origins if urlsplit(o).hostname)
    hosts.update(_host_name(h) for h in allow_remote_hosts)
    return sorted(h for h in hosts if h)
