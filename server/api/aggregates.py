"""``GET /api/v1/aggregates``: counts for HQ, as JSON or CSV (DESIGN §3)."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from server.aggregates import query as service
from server.http.auth import require

bp = Blueprint("aggregates", __name__)


@bp.get("/aggregates")
@require("hq", "admin")
def aggregates() -> ResponseReturnValue:
    """Reports and persons counted per group, over the current state of every report."""
    query = service.parse_query(request.args)
    result = service.compute(query)
    if query.fmt == "csv":
        name = "patroli-aggregates" + ("-" + "-".join(query.group_by) if query.group_by else "")
        return Response(
            service.to_csv(result),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    # A week-by-post-by-kind answer is some 10,000 rows (2 MB): orjson
    # writes it in a tenth of the standard encoder's time, in the same key
    # order (the app's jsonify does not sort) and compact form as jsonify.
    return Response(orjson.dumps(result) + b"\n", mimetype="application/json")
