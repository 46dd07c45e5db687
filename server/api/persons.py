"""Early detection for HQ: a person's appearances, and the partner-agency export."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from server.detection import appearances, exchange
from server.http.auth import require
from server.http.params import parse_date
from server.infra.problems import Problem

bp = Blueprint("persons", __name__)


@bp.get("/persons")
@require("hq", "admin")
def persons() -> ResponseReturnValue:
    """Every appearance of the person carrying a document number, across posts."""
    number, doc_type = appearances.parse_document(request.args)
    return jsonify(appearances=appearances.appearances(number, doc_type))


@bp.get("/exchange")
@require("hq", "admin")
def exchange_csv() -> ResponseReturnValue:
    """Pseudonymous person keys and appearances, no names, as CSV for partner agencies."""
    errors: dict[str, list[str]] = {}
    date_from = parse_date(request.args.get("from"), "from", errors)
    date_to = parse_date(request.args.get("to"), "to", errors)
    if errors:
        raise Problem(400, "validation-failed", "Some filters are not valid.", errors=errors)
    body = exchange.to_csv(exchange.exchange_key(current_app.config), date_from, date_to)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="patroli-exchange.csv"'},
    )
