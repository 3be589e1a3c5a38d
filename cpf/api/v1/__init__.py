"""JSON API v1 for the mobile app and partners (OpenAPI 3 at /api/v1/openapi.json)."""
