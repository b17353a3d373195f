"""``/healthz`` for load balancers and ``/metrics`` for Prometheus.

Neither page builds a link, sets a cookie or writes to the database, and both answer whatever
Host the request names (see :class:`oer_portal.core.web.PortalFlask`): a load balancer asks
by address, not by the portal's name.  ``/metrics`` is for the operators' Prometheus only:
a bearer token (``METRICS_TOKEN``) or an address in ``METRICS_ALLOWED_NETWORKS``.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, jsonify, request

from oer_portal.extensions import csrf, limiter
from oer_portal.ops import health, metrics

bp = Blueprint("ops", __name__)
csrf.exempt(bp)
limiter.exempt(bp)


@bp.get("/healthz")
def healthz() -> Response:
    results = health.run_checks()
    failing = [result.name for result in results if not result.ok]
    body = {
        "status": "failing" if failing else "ok",
        "failing": failing,
        "checks": {result.name: {"ok": result.ok, "detail": result.detail,
                                 "seconds": round(result.seconds, 4)} for result in results},
    }
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    if not _may_scrape():
        return Response("Metrics are for the portal's own monitoring: send its token or ask "
                        "from an allowed network.\n", status=403, mimetype="text/plain")
    data, content_type = metrics.exposition()
    return Response(data, content_type=content_type, headers={"Cache-Control": "no-store"})


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(
            sent.removeprefix("Bearer ").encode(), str(token).encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False)
               for network in _networks(current_app.config.get("METRICS_ALLOWED_NETWORKS")))


def _networks(value: object) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]  # type: ignore[union-attr]
