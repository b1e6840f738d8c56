"""The ground floor every app may import: shared vocabulary and rules for what enters and leaves Vigil.

Outbound connections (``outbound``), masking secrets in what is shown (``redact``), bounds and
one-line text (``bounds``), query-string readers (``query_params``), CSV cells (``csv_cells``),
files that go with their rows (``stored_files``), telling a bad row from an outage (``isolation``),
log filters (``log_filters``); the shared Redis client (``redis``), the broadcast outbox and its
message kinds (``broadcast``), what a detector finds and the labels it can find (``vision``), event
evidence pictures (``snapshots``); the API's permissions, schema, GeoJSON and error pages
(``api_permissions``, ``api_schema``, ``geojson``, ``errors``) and the admin's shared pieces
(``badges``, ``maps``, ``times``, ``admin_objects``, ``admin_input``, ``admin_secrets``).
Nothing here imports an app.
"""
