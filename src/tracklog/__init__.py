"""tracklog: a fast, safe, self-hosted experiment tracker that speaks MLflow's protocol."""

__version__ = "0.1.0"
