"""The ``tracklog`` command line (``tracklog.cli.main:main``)."""
