"""``GET /api/v1/aggregates``: counts for HQ, as JSON or CSV (DESIGN §3)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
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
    return jsonify(result)
