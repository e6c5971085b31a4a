"""One ASGI application for HTTP and WebSocket (Channels), served by uvicorn or daphne."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from sprechzeit.config.env import Mode

django_http = get_asgi_application()

from sprechzeit.accounts.middleware import (  # noqa: E402
    HostBoundSessionMiddleware,
    WebSocketAccessMiddleware,
)
from sprechzeit.accounts.socket_auth import auth_middleware_stack  # noqa: E402
from sprechzeit.config.routing import websocket_urlpatterns  # noqa: E402 - needs apps loaded
from sprechzeit.core.loopwatch import startup_objects_freeze  # noqa: E402

# Outside production the app serves its own static files (no collectstatic, no proxy).
http_app = (
    django_http
    if settings.SPRECHZEIT_MODE is Mode.PRODUCTION
    else ASGIStaticFilesHandler(django_http)
)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            auth_middleware_stack(
                HostBoundSessionMiddleware(
                    WebSocketAccessMiddleware(
                        URLRouter(websocket_urlpatterns), routes=websocket_urlpatterns
                    )
                )
            )
        ),
    }
)

# What is loaded now (Django, every module, the URLconf: ~200,000 objects) lives as long as
# the process: out of the garbage collector's sight, a full collection — which stops the
# event loop and every cut-off with it — scans only what the sockets made since.
startup_objects_freeze()
