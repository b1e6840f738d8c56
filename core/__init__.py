"""The ground floor every app may import: shared rules for what enters and leaves Vigil.

Outbound connections (``outbound``), masking secrets in what is shown (``redact``), bounds and
one-line text (``bounds``), query-string readers (``query_params``), CSV cells (``csv_cells``),
files that go with their rows (``stored_files``), telling a bad row from an outage (``isolation``)
and log filters (``log_filters``). Nothing here imports an app.
"""
