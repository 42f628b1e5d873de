"""Version 1 of the JSON API: `/api/v1/`, its OpenAPI document at `/api/v1/openapi.json` and
interactive docs at `/api/v1/docs`, served from the app's own static files (django-ninja's
Swagger UI bundle, no CDN), under the pages' Content Security Policy."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from api.auth import TokenAuth, TokenRateThrottle
from api.errors import handle_errors
from api.v1 import accounts, evidence, portfolio

DESCRIPTION = """\
Read standings and write interactions from other tools (BI, the ERP, chat).

**Authentication**: a personal API token, made on the *API tokens* settings page or with
`manage.py api_token create USERNAME`, sent as `Authorization: Bearer <token>`. A token sees
and changes exactly what its owner sees and changes on the pages: an account manager's token
their own accounts and those shared with them, a sales lead's or scoring admin's the whole
portfolio. An account it may not see is a 404. A read-only token gets 403 on every write.

**Errors**, each `{"detail": ...}` as each operation documents: 400 for a body that is not
JSON, 401 without a live token, 403 for what the token's owner may not do, 404 for what they
may not see, 409 for a write on a lost or archived account, 413 for a body over the server's
limit, 422 with the field named for bad input (a body must be a JSON object of the documented
fields: an unknown field is refused, not ignored), 429 (with `Retry-After`) past the rate
limit.
"""

api = NinjaAPI(
    title="Relationship tracker API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    # The validator badge would fetch from swagger.io: nothing leaves the app.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
handle_errors(api)
api.add_router("", accounts.router)
api.add_router("", evidence.router)
api.add_router("", portfolio.router)
