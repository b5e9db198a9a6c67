"""One router per resource; :func:`qmsgap.service.app.create_app` mounts them under /api/v1."""
