"""The tracking server: an ASGI app speaking MLflow's REST protocol (``create_app``)."""

from tracklog.server.app import create_app
from tracklog.server.settings import Settings

__all__ = ["Settings", "create_app"]
