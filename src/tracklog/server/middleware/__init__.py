"""Pure-ASGI safety middleware, one concept per file (outermost first in ``app.py``)."""
