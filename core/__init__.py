"""qmsgap: map a supplier's QMS documents onto ASQMS clauses and practices, with cited evidence.

The installed package ``qmsgap`` is assembled from the repository's folders (see README,
"How the folders map"): ``core/`` is this package itself, ``ingest/`` is ``qmsgap.ingest``,
``mapping/`` is ``qmsgap.mapping`` and so on. Nothing heavy is imported here.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qmsgap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
