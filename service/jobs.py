"""The job runner: a queue and a few worker threads that run analyses in the background.

The database is the source of truth, the queue only a wake-up list, so no job is ever lost:

- :meth:`JobRunner.start` first recovers what the previous process left behind. A job still
  ``queued`` is queued again. A job left ``running`` (the process died or was stopped mid-way)
  is run again from the start when ``server.resume_interrupted_jobs`` is on and it has not
  already been interrupted ``server.max_job_attempts`` times; otherwise it is marked ``failed``
  with the reason.
- Cancelling is cooperative: the job's progress callback raises between two steps.
- :meth:`JobRunner.stop` interrupts running jobs and puts them back to ``queued`` so the next
  start resumes them.
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmsgap.errors import QmsGapError
from qmsgap.service.errors import JobInterrupted
from qmsgap.service.models import Analysis, JobStatus, utcnow
from qmsgap.service.pipeline import AnalysisPipeline

log = logging.getLogger(__name__)

STOPPING = "the server is stopping"


class JobRunner:
    """Runs :class:`AnalysisPipeline` jobs on ``workers`` daemon threads."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        pipeline: AnalysisPipeline,
        *,
        workers: int = 1,
        resume_interrupted: bool = True,
        max_attempts: int = 3,
    ) -> None:
        self.sessions = sessions
        self.pipeline = pipeline
        self.workers = workers
        self.resume_interrupted = resume_interrupted
        self.max_attempts = max_attempts
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Condition(self._lock)
        self._pending = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> list[str]:
        """Recover interrupted jobs, start the worker threads; returns the ids queued again."""
        requeued = self.recover()
        for number in range(self.workers):
            thread = threading.Thread(
                target=self._work, name=f"qmsgap-analysis-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        for analysis_id in requeued:
            self.submit(analysis_id)
        return requeued

    def recover(self) -> list[str]:
        """Decide the fate of jobs left queued or running; returns the ids to run."""
        requeue: list[str] = []
        with self.sessions.begin() as session:
            pending = session.scalars(
                select(Analysis)
                .where(Analysis.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]))
                .order_by(Analysis.created_at)
            ).all()
            for analysis in pending:
                if analysis.cancel_requested:
                    _finish(
                        analysis, JobStatus.CANCELLED, "cancelled", "cancelled before a restart"
                    )
                elif analysis.status == JobStatus.QUEUED.value:
                    requeue.append(analysis.id)
                elif not self.resume_interrupted:
                    _finish(
                        analysis,
                        JobStatus.FAILED,
                        "interrupted",
                        "the server stopped while this analysis was running; start it again",
                    )
                elif analysis.attempts >= self.max_attempts:
                    _finish(
                        analysis,
                        JobStatus.FAILED,
                        "interrupted",
                        f"the server stopped during each of {analysis.attempts} attempts; "
                        "the analysis was not resumed again",
                    )
                else:
                    analysis.status = JobStatus.QUEUED.value
                    analysis.step = "resumed"
                    analysis.error_message = "resumed after the server restarted"
                    requeue.append(analysis.id)
        if requeue:
            log.info("resuming %d analyses left by the previous run", len(requeue))
        return requeue

    def stop(self, timeout: float = 30.0) -> None:
        """Interrupt running jobs (they go back to ``queued``) and stop the threads."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is empty and no job runs (tests); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    # ------------------------------------------------------------------ requests

    def submit(self, analysis_id: str) -> None:
        """Queue an analysis whose row is already committed with status ``queued``."""
        with self._lock:
            self._pending += 1
        self._queue.put(analysis_id)

    def cancel(self, analysis_id: str) -> None:
        """Ask a running job to stop at its next progress report (the row has
        ``cancel_requested`` set already)."""
        with self._lock:
            self._cancelled.add(analysis_id)

    # ------------------------------------------------------------------ work

    def _work(self) -> None:
        while True:
            analysis_id = self._queue.get()
            if analysis_id is None:
                return
            try:
                self._run_one(analysis_id)
            except Exception:  # the runner must survive anything a job does
                log.exception("analysis %s: unexpected failure in the job runner", analysis_id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._cancelled.discard(analysis_id)
                    self._idle.notify_all()

    def _interruption(self, analysis_id: str) -> str | None:
        if self._stopping.is_set():
            return STOPPING
        with self._lock:
            return "cancelled" if analysis_id in self._cancelled else None

    def _run_one(self, analysis_id: str) -> None:
        with self.sessions.begin() as session:
            analysis = session.get(Analysis, analysis_id)
            if analysis is None or analysis.status != JobStatus.QUEUED.value:
                return  # cancelled while queued, or already handled
            if analysis.cancel_requested:
                _finish(analysis, JobStatus.CANCELLED, "cancelled", "cancelled before it started")
                return
        if self._stopping.is_set():
            return  # stays queued; the next start runs it
        try:
            self.pipeline.run(analysis_id, lambda: self._interruption(analysis_id))
        except JobInterrupted as stop:
            self._record_interruption(analysis_id, stop.reason)
        except QmsGapError as exc:
            log.info("analysis %s failed: [%s] %s", analysis_id, exc.code, exc.message)
            self._record_failure(analysis_id, exc.code, exc.message)
        except Exception as exc:
            log.exception("analysis %s failed unexpectedly", analysis_id)
            self._record_failure(
                analysis_id,
                "internal_error",
                f"the analysis failed unexpectedly ({type(exc).__name__}); see the server log",
            )

    def _record_interruption(self, analysis_id: str, reason: str) -> None:
        with self.sessions.begin() as session:
            analysis = session.get(Analysis, analysis_id)
            if analysis is None:
                return
            if reason == STOPPING and not analysis.cancel_requested:
                analysis.status = JobStatus.QUEUED.value
                analysis.step = "interrupted"
                analysis.error_message = "interrupted by a server stop; resumes on the next start"
            else:
                _finish(analysis, JobStatus.CANCELLED, "cancelled", "cancelled by a user")

    def _record_failure(self, analysis_id: str, code: str, message: str) -> None:
        with self.sessions.begin() as session:
            analysis = session.get(Analysis, analysis_id)
            if analysis is not None:
                _finish(analysis, JobStatus.FAILED, code, message)


def _finish(analysis: Analysis, status: JobStatus, code: str, message: str) -> None:
    analysis.status = status.value
    analysis.step = status.value
    analysis.error_code = None if status is JobStatus.CANCELLED else code[:50]
    analysis.error_message = message
    analysis.finished_at = utcnow()
