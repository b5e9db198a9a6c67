"""``qmsgap demo``: the web app showing the analysis of the bundled sample supplier QMS.

The command starts the service in this process and then acts as its first client, through the
same HTTP API the web app uses: it signs in as the demo administrator, makes sure the
workspace "Sample supplier (HME)" exists, uploads the files of the sample QMS (known files
come back ``unchanged``), analyzes them unless the latest analysis already covers exactly the
current versions, prints the coverage summary, writes the HTML report, and keeps serving the
web app until Ctrl-C.

The organisation "Demo" and its admin ``demo@qmsgap.local`` are created on the first run.
Every run sets a new random password for that account and prints it: the database keeps only
its argon2 hash, so no run can show an earlier one, and earlier demo sessions are signed out.
"""

from __future__ import annotations

import secrets
import signal
import socket
import threading
import time
from collections import Counter
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qmsgap.errors import ConfigurationError, QmsGapError

if TYPE_CHECKING:
    import httpx
    import uvicorn

    from qmsgap.service.state import Services

DEMO_ORGANISATION = "Demo"
DEMO_EMAIL = "demo@qmsgap.local"
DEMO_NAME = "Demo administrator"
DEMO_WORKSPACE = "Sample supplier (HME)"
DEMO_FRAMEWORK = "asqms"
DEMO_SOFTWARE_TYPE = "II"
SAMPLE_FOLDER = "sample-supplier-qms"
STEP_LABELS = {
    "queued": "Waiting",
    "parse": "Reading documents",
    "index": "Indexing passages",
    "retrieve": "Finding evidence",
    "score": "Scoring practices",
}
_ACTIVE = ("queued", "running")
_POLL_SECONDS = 0.5
_START_TIMEOUT_SECONDS = 120.0
_CLIENT_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


class DemoFailed(QmsGapError):
    """The demo could not prepare its workspace (the message says which step failed)."""

    code = "demo_failed"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    host: Annotated[
        str, typer.Option(help="Interface to serve on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
    no_serve: Annotated[
        bool,
        typer.Option("--no-serve", help="Prepare the demo and print the summary, then stop."),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the HTML report (default: reports/ in the data directory)."
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")
    ] = "warning",
) -> None:
    """Analyze the bundled sample supplier QMS and open it in the web app.

    Uploads the sample QMS into the workspace "Sample supplier (HME)",
    analyzes it, prints the summary and the HTML report's path, then
    serves the web app until Ctrl-C. Sign in as demo@qmsgap.local:
    every run sets and prints a new random password (only its hash is kept).
    """
    import httpx
    import uvicorn

    from qmsgap.service import create_app
    from qmsgap.settings import get_settings

    settings = get_settings()
    sample = sample_folder()
    report_path = report or settings.data_dir / "reports" / "sample-supplier-report.html"
    listener = bind(host, 0 if no_serve else port)
    base_url = f"http://{client_host(host, listener)}"
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level=log_level, server_header=False, lifespan="on")
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="qmsgap-server", daemon=True
    )
    typer.echo(f"Data directory: {settings.data_dir}")
    stop = threading.Event()
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread.start()
    try:
        wait_until_started(server, thread)
        password = reset_demo_account(app.state.services)
        with httpx.Client(base_url=f"{base_url}/api/v1", timeout=300.0) as client:
            sign_in(client, password)
            workspace = ensure_workspace(client)
            upload_sample(client, workspace["id"], sample)
            analysis = ensure_analysis(client, workspace["id"])
            results = client_json(
                client.get(f"/workspaces/{workspace['id']}/analyses/{analysis['id']}/results")
            )
            print_summary(results)
            write_report(client, workspace["id"], analysis["id"], report_path)
        print_access(base_url, password, report_path, serving=not no_serve)
        if not no_serve:
            serve_until_stopped(thread, stop)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        listener.close()
        signal.signal(signal.SIGTERM, previous_handler)


# ------------------------------------------------------------------ server


def sample_folder() -> Path:
    """The sample supplier QMS shipped with the package.

    Raises:
        ConfigurationError: the package was installed without it.
    """
    folder = Path(str(resources.files("qmsgap.eval") / "corpus" / SAMPLE_FOLDER))
    if not folder.is_dir() or not any(folder.iterdir()):
        raise ConfigurationError(
            f"the sample QMS is missing from {folder}; reinstall qmsgap (scripts/setup.sh)"
        )
    return folder


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: any free port).

    Raises:
        ConfigurationError: the address cannot be used (port taken, unknown host).
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigurationError(f"cannot serve on {host}:{port}: {exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"cannot serve on {host}:{port} ({exc.strerror or exc}); is qmsgap already "
            "running there? Stop it or choose another --port"
        ) from exc
    return sock


def client_host(host: str, listener: socket.socket) -> str:
    """``host:port`` a local client reaches the listener at (wildcards become loopback)."""
    port = listener.getsockname()[1]
    name = _CLIENT_HOSTS.get(host, host)
    return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"


def wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    """Raises ConfigurationError when the service stops or does not start in time."""
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise ConfigurationError("the service did not start (see the messages above)")
        if time.monotonic() > deadline:
            raise ConfigurationError("the service did not start within two minutes")
        time.sleep(0.05)


def serve_until_stopped(thread: threading.Thread, stop: threading.Event) -> None:
    """Waits while the server runs, until Ctrl-C (SIGINT) or ``stop`` (set on SIGTERM); the
    caller then stops the server gracefully (running analyses go back to the queue)."""
    try:
        while thread.is_alive() and not stop.is_set():
            thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    typer.echo("\nStopping qmsgap.")


def reset_demo_account(services: Services) -> str:
    """Creates the demo organisation and admin on the first run; on every run sets a new
    random password (stored as its argon2 hash only) and signs out the account's sessions.
    Returns the new password."""
    from sqlalchemy import select, update

    from qmsgap.service.accounts import add_user
    from qmsgap.service.models import Role, Token, User, utcnow

    password = secrets.token_urlsafe(12)
    with services.sessions.begin() as session:
        user = session.scalar(select(User).where(User.email == DEMO_EMAIL))
        if user is not None:
            user.password_hash = services.passwords.hash(password)
            user.active = True
            user.role = Role.ADMIN.value
            session.execute(
                update(Token)
                .where(Token.user_id == user.id, Token.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return password
    add_user(
        services.sessions,
        services.passwords,
        email=DEMO_EMAIL,
        name=DEMO_NAME,
        role=Role.ADMIN,
        organisation=DEMO_ORGANISATION,
        password=password,
        create_organisation=True,
    )
    return password


# ------------------------------------------------------------------ the API client side


def client_json(response: httpx.Response) -> Any:
    """The JSON body of a successful answer.

    Raises:
        DemoFailed: the service answered with an error (its code and message are kept).
    """
    if response.is_success:
        return response.json()
    try:
        error = response.json()["error"]
        detail = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        detail = f"HTTP {response.status_code}"
    raise DemoFailed(f"{response.request.method} {response.request.url.path} failed ({detail})")


def sign_in(client: httpx.Client, password: str) -> None:
    token = client_json(
        client.post("/auth/login", json={"email": DEMO_EMAIL, "password": password})
    )
    client.headers["Authorization"] = f"Bearer {token['access_token']}"


def ensure_workspace(client: httpx.Client) -> dict[str, Any]:
    workspaces = client_json(client.get("/workspaces"))["data"]
    for workspace in workspaces:
        if workspace["name"] == DEMO_WORKSPACE:
            return dict(workspace)
    created: dict[str, Any] = client_json(
        client.post(
            "/workspaces",
            json={
                "name": DEMO_WORKSPACE,
                "framework": DEMO_FRAMEWORK,
                "software_type": DEMO_SOFTWARE_TYPE,
            },
        )
    )
    typer.echo(f"Created the workspace {DEMO_WORKSPACE!r}.")
    return created


def upload_sample(client: httpx.Client, workspace_id: str, folder: Path) -> None:
    """Uploads every file of ``folder`` in one request, as the web app's users would."""
    paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    with ExitStack() as stack:
        parts = [
            ("files", (p.name, stack.enter_context(p.open("rb")), "application/octet-stream"))
            for p in paths
        ]
        answer = client_json(client.post(f"/workspaces/{workspace_id}/documents", files=parts))
    outcomes = Counter(item["outcome"] for item in answer["data"])
    described = ", ".join(
        f"{outcomes[outcome]} {outcome.replace('_', ' ')}"
        for outcome in ("created", "new_version", "unchanged", "duplicate")
        if outcomes[outcome]
    )
    typer.echo(f"Uploaded the sample QMS ({len(paths)} files from {folder}): {described}.")


def ensure_analysis(client: httpx.Client, workspace_id: str) -> dict[str, Any]:
    """The analysis to show: one already running, the latest if it covers exactly the current
    document versions, or a new one. Waits for it with a progress bar.

    Raises:
        DemoFailed: the analysis failed or was cancelled.
    """
    workspace = client_json(client.get(f"/workspaces/{workspace_id}"))
    documents = client_json(client.get(f"/workspaces/{workspace_id}/documents"))["data"]
    current = {d["current_version"]["id"] for d in documents}
    analyses = client_json(
        client.get(f"/workspaces/{workspace_id}/analyses", params={"limit": 50})
    )["data"]
    analysis = next((a for a in analyses if a["status"] in _ACTIVE), None)
    if analysis is None:
        latest = next((a for a in analyses if a["status"] == "succeeded"), None)
        if (
            latest is not None
            and {d["version_id"] for d in latest["documents"]} == current
            and latest["software_type"] == workspace["software_type"]
            and latest["tailoring"] == workspace["tailoring"]
        ):
            typer.echo("The documents did not change since the latest analysis: showing it.")
            return dict(latest)
        analysis = client_json(client.post(f"/workspaces/{workspace_id}/analyses"))
        typer.echo("Analyzing the sample QMS (the first run loads the embedding model) ...")
    else:
        typer.echo("An analysis of the sample QMS is already under way: following it ...")
    finished = follow_analysis(client, workspace_id, analysis["id"])
    if finished["status"] != "succeeded":
        reason = finished["error"]["message"] if finished.get("error") else finished["status"]
        raise DemoFailed(f"the analysis {finished['status']}: {reason}")
    return finished


def follow_analysis(client: httpx.Client, workspace_id: str, analysis_id: str) -> dict[str, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    path = f"/workspaces/{workspace_id}/analyses/{analysis_id}"
    with Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as progress:
        task = progress.add_task("Starting", total=1.0)
        while True:
            state: dict[str, Any] = client_json(client.get(path))
            label = STEP_LABELS.get(state["step"], state["step"])
            if state["total"] and state["status"] in _ACTIVE:
                label = f"{label} {state['done']}/{state['total']}"
            progress.update(task, completed=state["progress"], description=label)
            if state["status"] not in _ACTIVE:
                return state
            time.sleep(_POLL_SECONDS)


def write_report(client: httpx.Client, workspace_id: str, analysis_id: str, path: Path) -> None:
    response = client.get(f"/workspaces/{workspace_id}/analyses/{analysis_id}/report/html")
    if not response.is_success:
        client_json(response)  # raises with the service's message
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(response.content)


# ------------------------------------------------------------------ terminal output


def print_summary(results: dict[str, Any]) -> None:
    """Readiness, practices per chapter and status, and the top of the gap list."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = results["summary"]
    statuses = ("covered", "partial", "gap", "not_applicable")
    styles = {"covered": "green", "partial": "yellow", "gap": "red", "not_applicable": "dim"}
    table = Table(title="Coverage per chapter (practices)")
    table.add_column("Chapter")
    for status in statuses:
        table.add_column(status.replace("_", " "), justify="right", style=styles[status])
    per_chapter: dict[str, Counter[str]] = {}
    for clause in results["clauses"]:
        per_chapter.setdefault(clause["chapter"], Counter()).update(
            p["status"] for p in clause["practices"]
        )
    for chapter, counts in per_chapter.items():
        table.add_row(chapter, *(str(counts[s]) for s in statuses))
    table.add_row("[bold]all[/]", *(str(summary[s]) for s in statuses))
    framework = results["framework"]
    console.print(
        f"\n[bold]{framework['title']}[/] ({framework['id']} {framework['version']}), software "
        f"type {results['software_type']}: {len(results['documents'])} documents"
    )
    console.print(table)
    clauses = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in summary["clauses"].items() if n)
    console.print(
        f"Readiness [bold]{summary['readiness']:.1f}%[/] · {summary['mandatory_gaps']} "
        f"mandatory gaps · clauses: {clauses}"
    )
    for gap in results["gaps"][:5]:
        mandatory = "mandatory" if gap["mandatory"] else "optional"
        console.print(
            f"  {gap['rank']:>2}. {gap['practice_id']} {gap['title']} "
            f"([{styles[gap['status']]}]{gap['status']}[/], {mandatory})"
        )
    findings = sum(len(d["findings"]) for d in results["documents"])
    console.print(f"{findings} document-control findings.")


def print_access(base_url: str, password: str, report: Path, *, serving: bool) -> None:
    typer.echo(f"\nHTML report: {report.resolve()}")
    if not serving:
        typer.echo(f"Demo account: {DEMO_EMAIL} / {password} (run without --no-serve to sign in)")
        return
    typer.secho(f"\nqmsgap is running: open {base_url}/ in a browser", bold=True)
    typer.echo(f"  e-mail:   {DEMO_EMAIL}")
    typer.echo(f"  password: {password}")
    typer.echo(
        "  (every run of `qmsgap demo` sets a new password; only its hash is stored)\n"
        "Press Ctrl-C to stop."
    )
