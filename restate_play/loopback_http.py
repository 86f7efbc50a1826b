"""httpx clients for the sandbox's own endpoints, which are plain HTTP on 127.0.0.1.

- `verify=False`: with no TLS there is no certificate store to load; loading it cost ~23 ms per
  client (~110 ms for the first), several times on the way to a run's first request.
- `trust_env=False`: an `HTTP_PROXY`/`ALL_PROXY` in the user's environment must not send the
  playground's loopback traffic to a proxy (httpx would, as `NO_PROXY` rarely lists 127.0.0.1).
"""

from __future__ import annotations

from typing import Any

import httpx

LOOPBACK: dict[str, Any] = {"verify": False, "trust_env": False}


def loopback_client(**kwargs: Any) -> httpx.Client:
    return httpx.Client(**LOOPBACK, **kwargs)


def loopback_async_client(**kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(**LOOPBACK, **kwargs)
