"""Emulator fixtures for this directory (defined in emulators.py, importable elsewhere too)."""

from tests.artifact_stores.emulators import azure_repo, azurite, fake_gcs, gcs_repo, moto, s3_repo  # noqa: F401
