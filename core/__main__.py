"""``python -m qmsgap`` is the same as the ``qmsgap`` command."""

from qmsgap.cli import main

main()
