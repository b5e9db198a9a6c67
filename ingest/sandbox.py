"""Parse many documents safely: worker processes with a wall-clock and a memory limit.

:class:`Ingestor` keeps a small pool of long-lived worker processes, each a fresh interpreter
running :mod:`qmsgap.ingest.worker` (warming one up, importing the parsers and loading the
tokenizer, costs about a second, so workers are reused rather than started per file). Each
worker limits its own address space (``RLIMIT_AS``); the parent kills a worker that overruns
the per-document timeout and starts a new one. Whatever happens to one document, the batch
goes on, and outcomes come back in input order. Messages are length-prefixed JSON frames on
the worker's stdin/stdout, never pickles.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qmsgap.errors import CorruptDocument, DocumentError, ParseResourceLimit, ParseTimeout
from qmsgap.ingest.models import IngestFailure, IngestOutcome, ParsedDocument
from qmsgap.ingest.worker import CONFIG, ERROR, FATAL, HEADER, OK, READY, STOP, TASK
from qmsgap.settings import Settings

log = logging.getLogger(__name__)

_STARTUP_TIMEOUT = 120.0


@dataclass
class _Task:
    index: int
    path: Path
    display: str


class _Worker:
    """One worker process, its unread output and the task it is working on."""

    def __init__(self, config: bytes) -> None:
        env = dict(os.environ)
        env.update({"TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qmsgap.ingest.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stdout_fd = self.process.stdout.fileno()
        os.set_blocking(self.stdout_fd, False)
        self._buffer = bytearray()
        self.task: _Task | None = None
        self.deadline = 0.0
        self.ready = False
        self.started = time.monotonic()
        self.alive = self._write(CONFIG, config)

    def _write(self, tag: bytes, body: bytes = b"") -> bool:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(HEADER.pack(len(body) + 1) + tag + body)
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def send(self, task: _Task, timeout: float) -> bool:
        self.task = task
        self.deadline = time.monotonic() + timeout
        body = json.dumps({"path": str(task.path), "display": task.display}).encode()
        return self._write(TASK, body)

    def read(self) -> list[tuple[bytes, bytes]] | None:
        """Complete frames received so far; ``None`` once the worker has closed its output."""
        try:
            data = os.read(self.stdout_fd, 1 << 20)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        if data == b"":
            return None
        if data:
            self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buffer)
            if len(self._buffer) < HEADER.size + length:
                break
            payload = bytes(self._buffer[HEADER.size : HEADER.size + length])
            del self._buffer[: HEADER.size + length]
            frames.append((payload[:1], payload[1:]))
        return frames

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def stop(self) -> None:
        if self.process.poll() is None and self._write(STOP):
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=2)
        self.kill()


class Ingestor:
    """Parses files in sandboxed worker processes.

    Options: ``settings`` (limits: ``parse_timeout_seconds``, ``parse_memory_mb``; pool size:
    ``ingest.workers``), ``today`` (reference date of the age finding) and ``workers``
    (overrides the setting). Use it as a context manager to keep the pool between calls to
    :meth:`run`; otherwise each :meth:`run` starts and stops its own pool. One ``run`` at a
    time per instance (it is not thread-safe); use one instance per thread.
    """

    def __init__(
        self, settings: Settings, *, today: dt.date | None = None, workers: int | None = None
    ) -> None:
        self.settings = settings
        self.today = today
        configured = workers if workers is not None else settings.ingest.workers
        self.workers = configured or min(os.cpu_count() or 1, 4)
        self._config = json.dumps(
            {
                "settings": settings.model_dump_json(),
                "today": today.isoformat() if today else None,
                "memory_mb": settings.limits.parse_memory_mb,
            }
        ).encode()
        self._pool: list[_Worker] = []
        self._keep = False
        self.started_workers = 0

    def __enter__(self) -> Ingestor:
        self._keep = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._keep = False
        self.close()

    def close(self) -> None:
        """Stop every worker process."""
        for worker in self._pool:
            worker.stop()
        self._pool.clear()

    def __call__(self, paths: Sequence[Path], root: Path | None = None) -> Iterator[IngestOutcome]:
        return self.run(paths, root)

    def run(self, paths: Sequence[Path], root: Path | None = None) -> Iterator[IngestOutcome]:
        """Parse ``paths``; yields one outcome per path, in input order.

        Never raises for a document: whatever goes wrong (unreadable, unsupported, timeout,
        out of memory, a crashing parser) becomes an :class:`IngestFailure`. ``root`` makes
        the reported paths relative to it.
        """
        tasks = [_Task(i, Path(p), _display(Path(p), root)) for i, p in enumerate(paths)]
        try:
            yield from self._schedule(tasks)
        finally:
            if not self._keep:
                self.close()

    def _schedule(self, tasks: list[_Task]) -> Iterator[IngestOutcome]:
        pending = list(reversed(tasks))
        results: dict[int, IngestOutcome] = {}
        next_index = 0
        timeout = self.settings.limits.parse_timeout_seconds
        while next_index < len(tasks):
            busy = sum(1 for w in self._pool if w.task is not None or not w.ready)
            while len(self._pool) < min(self.workers, busy + len(pending)):
                self._pool.append(_Worker(self._config))
                self.started_workers += 1
                busy += 1
            for worker in list(self._pool):
                if worker.ready and worker.task is None and pending:
                    task = pending.pop()
                    if not worker.send(task, timeout):
                        self._died(worker, results, pending)
            self._wait(results, pending)
            while next_index in results:
                yield results.pop(next_index)
                next_index += 1

    def _wait(self, results: dict[int, IngestOutcome], pending: list[_Task]) -> None:
        now = time.monotonic()
        deadlines = [w.deadline for w in self._pool if w.task is not None]
        deadlines += [w.started + _STARTUP_TIMEOUT for w in self._pool if not w.ready]
        wait_for = max(0.0, min(deadlines) - now) if deadlines else 0.0
        with selectors.DefaultSelector() as selector:
            for worker in self._pool:
                selector.register(worker.stdout_fd, selectors.EVENT_READ, worker)
            events = selector.select(timeout=wait_for) if self._pool else []
        for key, _ in events:
            worker = key.data
            frames = worker.read()
            if frames is None:
                self._died(worker, results, pending)
                continue
            for tag, body in frames:
                self._handle(worker, tag, body, results, pending)
        now = time.monotonic()
        limit = self.settings.limits.parse_timeout_seconds
        for worker in list(self._pool):
            if worker.task is not None and now >= worker.deadline:
                self._fail(worker, results, ParseTimeout(
                    f"parsing took longer than {limit:g} s (limits.parse_timeout_seconds) and "
                    "was stopped"
                ))  # fmt: skip
            elif not worker.ready and now >= worker.started + _STARTUP_TIMEOUT:
                self._retire(worker)
                self._fail_next(pending, results, "a parsing worker did not start in time")

    def _handle(
        self,
        worker: _Worker,
        tag: bytes,
        body: bytes,
        results: dict[int, IngestOutcome],
        pending: list[_Task],
    ) -> None:
        if tag == READY:
            worker.ready = True
            return
        task, worker.task = worker.task, None
        if task is None:  # the worker could not start (for example no tokenizer)
            error = json.loads(body)
            self._retire(worker)
            self._fail_next(pending, results, error["message"], error["code"])
            return
        if tag == OK:
            results[task.index] = ParsedDocument.model_validate_json(body)
            return
        error = (
            json.loads(body)
            if tag in (ERROR, FATAL)
            else {"code": "document_error", "message": "the parsing worker answered badly"}
        )
        results[task.index] = self._failure(task, error["code"], error["message"])
        if tag == FATAL:
            self._retire(worker)  # it exits after running out of memory

    def _died(
        self, worker: _Worker, results: dict[int, IngestOutcome], pending: list[_Task]
    ) -> None:
        try:
            code = worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if worker.task is None:
            self._retire(worker)
            if not worker.ready:
                self._fail_next(pending, results, f"a parsing worker failed to start (exit {code})")
            return
        error: DocumentError
        if code is not None and code < 0:
            name = _signal_name(-code)
            if -code in (signal.SIGKILL, signal.SIGABRT, signal.SIGBUS):
                error = ParseResourceLimit(
                    f"the parser was stopped ({name}), most likely because the document needs "
                    "more memory than allowed (limits.parse_memory_mb)"
                )
            else:
                error = CorruptDocument(f"the parser crashed ({name}) on this document")
        else:
            error = ParseResourceLimit(
                f"the parser stopped unexpectedly (exit {code}) on this document"
            )
        self._fail(worker, results, error)

    def _fail(
        self, worker: _Worker, results: dict[int, IngestOutcome], error: DocumentError
    ) -> None:
        task = worker.task
        self._retire(worker)
        if task is not None:
            results[task.index] = self._failure(task, error.code, error.message)

    def _failure(self, task: _Task, code: str, message: str) -> IngestFailure:
        return IngestFailure(
            path=task.display,
            document_id=_document_id(task.path, self.settings),
            code=code,
            message=message,
        )

    def _fail_next(
        self,
        pending: list[_Task],
        results: dict[int, IngestOutcome],
        message: str,
        code: str = "parse_resource_limit",
    ) -> None:
        """A worker that cannot start fails the next document, so the batch always ends."""
        if pending:
            task = pending.pop()
            results[task.index] = self._failure(task, code, message)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._pool:
            self._pool.remove(worker)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _document_id(path: Path, settings: Settings) -> str | None:
    """sha256 of the file, for a failure (``None`` when it cannot be read or is too big)."""
    try:
        if path.stat().st_size > settings.limits.max_upload_bytes:
            return None
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None
