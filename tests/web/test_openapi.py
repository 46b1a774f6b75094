"""The OpenAPI document describes every route the app has, and is a valid OpenAPI 3.1 document."""

from __future__ import annotations

import re

import openapi_spec_validator
from starlette.routing import Route

from webclient import ApiServer


def test_every_route_is_documented_and_nothing_else(api: ApiServer) -> None:
    reply = api.request("GET", "/api/openapi.json")
    assert reply.status == 200 and reply.headers["content-type"].startswith("application/json")
    document = reply.json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = set()
    for route in api.app.asgi.routes:
        assert isinstance(route, Route)
        path = re.sub(r"\{(\w+)(:path)?\}", r"{\1}", route.path)
        if path in ("/", "/library", "/asset/{name}", "/static/{file}"):
            continue  # the pages
        served |= {(path, method) for method in (route.methods or ()) if method != "HEAD" or path.startswith("/tus/")}
    assert served == documented


def test_the_document_is_valid_openapi(api: ApiServer) -> None:
    openapi_spec_validator.validate(api.request("GET", "/api/openapi.json").json())
