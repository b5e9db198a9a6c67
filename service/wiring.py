"""Builds the shared services from settings (called once, in the app's lifespan)."""

from __future__ import annotations

import logging
import shutil

from qmsgap.mapping.embedders import Embedder
from qmsgap.mapping.engine import MappingEngine
from qmsgap.service.catalogs import OrganisationCatalogs
from qmsgap.service.db import make_engine, migrate, session_factory
from qmsgap.service.jobs import JobRunner
from qmsgap.service.pipeline import AnalysisPipeline
from qmsgap.service.queries import ReportCache
from qmsgap.service.search import PassageSearch
from qmsgap.service.security import Passwords, TokenDigester
from qmsgap.service.state import Services
from qmsgap.service.storage import BlobStore, ParsedStore
from qmsgap.service.uploads import UploadReceiver
from qmsgap.settings import Settings

log = logging.getLogger(__name__)


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    """Open and migrate the database and make every shared object; nothing runs yet.

    Raises:
        ConfigurationError: the database cannot be opened or migrated.
    """
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / "tmp"
    if tmp.is_dir():  # uploads and reports a previous process left half-written
        shutil.rmtree(tmp, ignore_errors=True)
    database = make_engine(settings.resolved_database_url)
    migrate(database)
    sessions = session_factory(database)
    blobs = BlobStore(data_dir / "blobs", tmp)
    parsed = ParsedStore(data_dir / "parsed")
    engine = MappingEngine(settings, embedder)
    catalogs = OrganisationCatalogs(settings)
    pipeline = AnalysisPipeline(
        settings, sessions, blobs=blobs, parsed=parsed, engine=engine, catalogs=catalogs
    )
    jobs = JobRunner(
        sessions,
        pipeline,
        workers=settings.server.job_workers,
        resume_interrupted=settings.server.resume_interrupted_jobs,
        max_attempts=settings.server.max_job_attempts,
    )
    return Services(
        settings=settings,
        database=database,
        sessions=sessions,
        blobs=blobs,
        parsed=parsed,
        uploads=UploadReceiver(
            blobs,
            max_file_bytes=settings.limits.max_upload_bytes,
            max_files=settings.limits.max_files_per_request,
            max_request_bytes=settings.server.max_request_bytes,
        ),
        passwords=Passwords.from_settings(settings),
        tokens=TokenDigester(settings.secret_key),
        catalogs=catalogs,
        engine=engine,
        jobs=jobs,
        reports=ReportCache(),
        search=PassageSearch(engine.embedder),
        embedder_injected=embedder is not None,
    )
