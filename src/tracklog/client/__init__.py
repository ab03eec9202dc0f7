"""The Python client: tracking URI rules, ``TrackingClient`` and the fluent API."""
