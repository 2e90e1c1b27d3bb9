"""Every response Django renders is kept out of shared caches (proxies, CDNs) and off the disk.

One middleware rather than `never_cache` on each view: a view added tomorrow is covered without anyone
remembering a decorator. What Django renders is for one person: a signed-in page, an export, a JSON
answer, or a sign-in form holding that visitor's CSRF token; nothing of it is fit for a shared cache.
The static assets, which are public, are answered by WhiteNoise before this middleware is reached and
keep WhiteNoise's long cache headers (`public, max-age`, `immutable` for hashed names).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PrivateCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # `private, no-store, no-cache, must-revalidate, max-age=0`: merged into what a view set, and it
        # drops a `public` a view may have asked for.
        add_never_cache_headers(response)
        return response
