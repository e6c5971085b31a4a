"""The JSON API (v1): typed declarations in, typed declarations out, and the OpenAPI
document generated from them (docs/api.md). An edge like `site` and `partner`."""
