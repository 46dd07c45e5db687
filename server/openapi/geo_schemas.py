"""marshmallow schemas of ``GET /reports.geojson``: its answer (RFC 7946, OGC paging) and query.

Like ``server.openapi.schemas``, they describe what ``server.reports.geojson``
assembles by hand; the schemathesis run checks every answer against them.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.openapi.schemas import QueueQuerySchema, nullable_time
from sync import vocab


class PointSchema(Schema):
    """A GeoJSON Point: ``[longitude, latitude]``."""

    type = fields.String(required=True, validate=validate.OneOf(["Point"]))
    coordinates = fields.List(fields.Float(), required=True, validate=validate.Length(equal=2))


class FeaturePropertiesSchema(Schema):
    """What a map shows of a report: no names, documents, narratives or attachments."""

    id = fields.String(required=True)
    post = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)
    occurred_at = fields.String(required=True, allow_none=True)
    route = fields.String(required=True, allow_none=True)
    place = fields.String(required=True, allow_none=True)
    accuracy_m = fields.Float(required=True, allow_none=True)
    modus = fields.String(required=True, allow_none=True, metadata={"description": "comma-joined"})
    destination_country = fields.String(required=True, allow_none=True)
    review_status = fields.String(required=True, validate=validate.OneOf(vocab.REVIEW_STATUSES))
    retracted = fields.Boolean(required=True)
    updated_at = nullable_time()
    persons = fields.Integer(required=True)
    victims = fields.Integer(required=True)
    victims_minor = fields.Integer(required=True)
    victims_female = fields.Integer(required=True)
    suspects = fields.Integer(required=True)
    witnesses = fields.Integer(required=True)
    foreign_nationals = fields.Integer(required=True)
    applicants = fields.Integer(required=True)


class FeatureSchema(Schema):
    """One report with a location, as a GeoJSON Feature."""

    type = fields.String(required=True, validate=validate.OneOf(["Feature"]))
    id = fields.String(required=True)
    geometry = fields.Nested(PointSchema, required=True)
    properties = fields.Nested(FeaturePropertiesSchema, required=True)


class GeoLinkSchema(Schema):
    """A link of a GeoJSON page (OGC API Features): ``next`` while more remain."""

    rel = fields.String(required=True, validate=validate.OneOf(["next"]))
    href = fields.String(required=True, metadata={"description": "absolute URL, cursor included"})
    type = fields.String(required=True, validate=validate.OneOf(["application/geo+json"]))


class FeatureCollectionSchema(Schema):
    """``GET /reports.geojson`` (RFC 7946): the whole collection, or a page of it."""

    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Nested(FeatureSchema), required=True)
    # camelCase: the member names of OGC API Features, which QGIS reads.
    numberReturned = fields.Integer(required=True)
    numberMatched = fields.Integer(
        metadata={"description": "with limit: how many features the filters match in all"}
    )
    links = fields.List(
        fields.Nested(GeoLinkSchema),
        metadata={"description": "with limit: the next page's link while more remain"},
    )


class GeoQuerySchema(QueueQuerySchema):
    """Filters and paging of ``GET /reports.geojson`` (``page``/``per_page`` do nothing)."""

    bbox = fields.String(
        validate=validate.Regexp(r"^[^,]+(,[^,]+){3}$"),
        metadata={
            "description": "minLon,minLat,maxLon,maxLat in degrees (WGS 84); "
            "minLon above maxLon crosses the antimeridian"
        },
    )
    limit = fields.Integer(
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "page size; without it the whole collection is streamed"},
    )
    cursor = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "from a next link (needs limit)"},
    )
