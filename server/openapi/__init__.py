"""The OpenAPI 3.1 document of ``/api/v1``: operations, paths, request and answer schemas."""
