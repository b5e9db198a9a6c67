"""The objects the lifespan builds once and every request shares (``app.state.services``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from qmsgap.mapping.engine import MappingEngine
from qmsgap.service.catalogs import OrganisationCatalogs
from qmsgap.service.jobs import JobRunner
from qmsgap.service.queries import ReportCache
from qmsgap.service.search import PassageSearch
from qmsgap.service.security import Passwords, TokenDigester
from qmsgap.service.storage import BlobStore, ParsedStore
from qmsgap.service.uploads import UploadReceiver
from qmsgap.settings import Settings


@dataclass
class Services:
    settings: Settings
    database: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    parsed: ParsedStore
    uploads: UploadReceiver
    passwords: Passwords
    tokens: TokenDigester
    catalogs: OrganisationCatalogs
    engine: MappingEngine
    jobs: JobRunner
    reports: ReportCache
    search: PassageSearch
    embedder_injected: bool = False
    upload_lock: threading.Lock = field(default_factory=threading.Lock)
    """Serialises the naming step of uploads (new document or new version) per process."""
