"""The web app's static files, served by ``qmsgap serve``."""
