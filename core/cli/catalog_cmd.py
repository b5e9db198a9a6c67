"""``qmsgap catalog``: list, show, import, export, diff and check clause catalogs.

Imported (licensed) catalogs are stored in the data directory (``QMSGAP_DATA_DIR``), never in
the repository. Expected errors are QmsGapError subclasses; ``main()`` prints them.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from qmsgap.clauses.diff import CatalogDiff
    from qmsgap.clauses.models import Catalog, Clause, Practice
    from qmsgap.settings import Settings

catalog_app = typer.Typer(
    name="catalog",
    help="Clause catalogs (ASQMS, IAF-AQMS, MIIT OTA): list, show, import licensed text, diff.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app)


def _settings() -> Settings:
    from qmsgap.settings import get_settings

    return get_settings()


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _load(name: str, settings: Settings) -> Catalog:
    """A catalog by id ("builtin:ID" for the shipped text without imports), or from a file."""
    from qmsgap.clauses import load_catalog
    from qmsgap.clauses.store import read_catalog_file

    if name.startswith("builtin:"):
        from qmsgap.clauses.loader import load_builtin_catalog

        return load_builtin_catalog(name.removeprefix("builtin:"))
    path = Path(name)
    looks_like_path = (
        "/" in name or path.suffix.lower() in (".yaml", ".yml", ".csv", ".xlsx") or path.is_file()
    )
    if looks_like_path:
        if path.is_dir():
            from qmsgap.clauses.loader import builtin_themes, read_catalog

            return read_catalog(path, themes=builtin_themes())
        if not path.is_file():
            from qmsgap.errors import CatalogError

            raise CatalogError(f"{path}: file not found")
        return read_catalog_file(path, settings)
    return load_catalog(name, settings)


def _type_counts(practices: list[Practice], catalog: Catalog) -> str:
    counts = Counter(p.type for p in practices)
    order = [rule.key for rule in catalog.practice_types]
    return ", ".join(f"{counts[k]} {k}" for k in order if counts[k])


@catalog_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List built-in and imported catalogs."""
    from qmsgap.clauses import list_catalogs

    infos = list_catalogs(_settings())
    if as_json:
        typer.echo(json.dumps([i.model_dump() for i in infos], indent=2))
        return
    from rich.table import Table

    table = Table("id", "version", "origin", "clauses", "practices", "title")
    for info in infos:
        origin = info.origin + (" (replaces built-in)" if info.shadows_builtin else "")
        if info.licensed_overlay:
            origin += " + licensed overlay"
        table.add_row(
            info.id, info.version, origin, str(info.clauses), str(info.practices), info.title
        )
    _console().print(table)


@catalog_app.command("show")
def show_command(
    catalog_id: Annotated[str, typer.Argument(help="Catalog id (or a catalog file).")],
    item: Annotated[
        str | None, typer.Argument(help="A clause id (e.g. 5.5) or practice id (e.g. 6.2.1).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a catalog as a tree with counts, or one clause/practice with its full text."""
    catalog = _load(catalog_id, _settings())
    if item is None:
        if as_json:
            typer.echo(catalog.model_dump_json(indent=2))
        else:
            _print_tree(catalog)
        return
    from qmsgap.errors import NotFound

    clause_ids = {c.id for c in catalog.clauses}
    if item in clause_ids:
        clause = catalog.clause(item)
        if as_json:
            typer.echo(clause.model_dump_json(indent=2))
        else:
            _print_clause(catalog, clause)
        return
    try:
        clause, practice = catalog.locate(item)
    except NotFound:
        raise NotFound(f"catalog '{catalog.id}' has no clause or practice '{item}'") from None
    if as_json:
        typer.echo(practice.model_dump_json(indent=2))
    else:
        console = _console()
        _print_practice(console, practice)


def _print_tree(catalog: Catalog) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    practices = catalog.all_practices()
    console = _console()
    console.print(f"[bold]{escape(catalog.title)}[/bold]")
    console.print(
        f"{catalog.id} {catalog.version} ({catalog.source}): {len(catalog.clauses)} clauses, "
        f"{len(practices)} practices ({_type_counts(practices, catalog)}), "
        f"{sum(p.official for p in practices)} with published ids"
    )
    tree = Tree(f"{catalog.id}")
    for chapter in catalog.chapters:
        clauses = [c for c in catalog.clauses if c.chapter == chapter.id]
        branch = tree.add(
            f"[bold]{escape(chapter.id)} {escape(chapter.title)}[/bold] ({len(clauses)} clauses)"
        )
        for clause in clauses:
            title = clause.title if clause.title_known else f"{clause.title} (title not published)"
            node = branch.add(
                escape(
                    f"{clause.id} {title} ({len(clause.practices)}: "
                    f"{_type_counts(list(clause.practices), catalog)})"
                )
            )
            for practice in clause.practices:
                marks = " [official id]" if practice.official else ""
                marks += " [licensed text]" if practice.source == "licensed" else ""
                node.add(escape(f"{practice.id} {practice.type} {practice.title}{marks}"))
    console.print(tree)


def _print_clause(catalog: Catalog, clause: Clause) -> None:
    from rich.markup import escape

    console = _console()
    console.print(
        f"[bold]{escape(clause.id)} {escape(clause.title)}[/bold]  ({catalog.id} {catalog.version})"
    )
    if not clause.title_known:
        console.print("title: not published; the title above is descriptive")
    if clause.purpose:
        console.print(f"purpose: {escape(clause.purpose)}")
    tailoring = "may be tailored out" if clause.tailorable else "cannot be tailored out"
    rationale = f" - {clause.tailoring_rationale}" if clause.tailoring_rationale else ""
    console.print(f"tailoring: {tailoring}{rationale}")
    if clause.references:
        console.print(
            "references: " + "; ".join(f"{r.standard} {r.clause}" for r in clause.references)
        )
    if clause.notes:
        console.print(f"notes: {escape(clause.notes)}")
    console.print(
        f"{len(clause.practices)} practices ({_type_counts(list(clause.practices), catalog)})"
    )
    for practice in clause.practices:
        console.print()
        _print_practice(console, practice)


def _print_practice(console: Console, practice: Practice) -> None:
    from rich.markup import escape

    flags = ["official id" if practice.official else "id numbered by qmsgap"]
    flags.append("licensed text" if practice.source == "licensed" else "qmsgap paraphrase")
    console.print(
        f"[bold]{practice.id} {practice.type} {escape(practice.title)}[/bold] ({', '.join(flags)})"
    )
    console.print(f"  {escape(practice.requirement)}")
    if practice.expected_evidence:
        console.print("  evidence: " + escape("; ".join(practice.expected_evidence)))
    if practice.keywords:
        console.print("  keywords: " + escape(", ".join(practice.keywords)))
    if practice.evidence_terms:
        from qmsgap.clauses.evidence_terms import format_evidence_terms

        console.print("  evidence terms: " + escape(format_evidence_terms(practice.evidence_terms)))
    if practice.references:
        console.print(
            "  references: "
            + escape("; ".join(f"{r.standard} {r.clause}" for r in practice.references))
        )
    if practice.themes:
        console.print("  themes: " + ", ".join(practice.themes))
    if practice.notes:
        console.print("  notes: " + escape(practice.notes))


@catalog_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A .yaml, .csv or .xlsx catalog file.")],
    catalog_id: Annotated[
        str | None,
        typer.Option("--id", help="Catalog to overlay or to create/replace (default: asqms)."),
    ] = None,
    mode: Annotated[
        Literal["overlay", "replace"],
        typer.Option(
            "--mode",
            help="overlay: licensed texts replace the paraphrases practice by practice. "
            "replace: the file becomes the whole catalog.",
        ),
    ] = "overlay",
    base: Annotated[
        str | None,
        typer.Option("--base", help="Catalog whose metadata a CSV uses (default: same id)."),
    ] = None,
) -> None:
    """Import a licensed catalog into the data directory (never into the repository)."""
    from qmsgap.clauses import import_catalog

    default_id = "asqms" if mode == "overlay" else None
    result = import_catalog(
        file, _settings(), mode=mode, catalog_id=catalog_id or default_id, base_id=base
    )
    typer.echo(f"imported {file.name} as {result.mode} of '{result.catalog_id}'")
    typer.echo(f"stored at {result.stored_at}")
    if result.mode == "overlay":
        typer.echo(
            f"{result.practices} practices: {len(result.updated)} updated, "
            f"{len(result.added)} added, {len(result.unchanged)} unchanged"
        )
    else:
        typer.echo(f"{result.practices} practices")


@catalog_app.command("export")
def export_command(
    catalog_id: Annotated[str, typer.Argument(help="Catalog id.")],
    fmt: Annotated[
        Literal["yaml", "csv", "xlsx"], typer.Option("--format", "-f", help="File format.")
    ] = "yaml",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: ./<id>.<format>)."),
    ] = None,
) -> None:
    """Write a catalog (with any licensed overlay applied) as YAML, CSV or XLSX."""
    from qmsgap.clauses import export_catalog, load_catalog

    catalog = load_catalog(catalog_id, _settings())
    target = output or Path(f"{catalog.id}.{fmt}")
    export_catalog(catalog, target, fmt)
    typer.echo(f"wrote {len(catalog.all_practices())} practices of '{catalog.id}' to {target}")


@catalog_app.command("diff")
def diff_command(
    old: Annotated[
        str, typer.Argument(help="Old revision: catalog id, builtin:ID (shipped text) or file.")
    ],
    new: Annotated[
        str, typer.Argument(help="New revision: catalog id, builtin:ID (shipped text) or file.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what NEW adds, removes or rewords compared with OLD (word-level diff of texts)."""
    from qmsgap.clauses import diff_catalogs

    settings = _settings()
    result = diff_catalogs(_load(old, settings), _load(new, settings))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    _print_diff(result)


def _print_diff(result: CatalogDiff) -> None:
    from rich.markup import escape

    console = _console()
    console.print(f"[bold]{result.old} -> {result.new}[/bold]")
    console.print(
        f"{len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.reworded)} reworded, {len(result.changed) - len(result.reworded)} "
        "otherwise changed practices"
    )
    for clause in result.added_clauses:
        console.print(f"[green]+ clause {clause.id} {escape(clause.title)}[/green]")
    for clause in result.removed_clauses:
        console.print(f"[red]- clause {clause.id} {escape(clause.title)}[/red]")
    for renamed in result.renamed_clauses:
        console.print(
            f"~ clause {renamed.field} title: {escape(renamed.old)} -> {escape(renamed.new)}"
        )
    for practice in result.added:
        console.print(f"[green]+ {practice.id} {practice.type} {escape(practice.title)}[/green]")
    for practice in result.removed:
        console.print(f"[red]- {practice.id} {practice.type} {escape(practice.title)}[/red]")
    for change in result.changed:
        label = "reworded" if change.reworded else "changed"
        console.print(f"~ {change.id} {label}")
        if change.reworded:
            parts = []
            for word in change.words:
                text = escape(word.text)
                if word.op == "delete":
                    parts.append(f"[red strike]\\[-{text}-][/red strike]")
                elif word.op == "insert":
                    parts.append(f"[green]{{+{text}+}}[/green]")
                else:
                    parts.append(text)
            console.print("    " + " ".join(parts))
        for field in change.fields:
            console.print(f"    {field.field}: {escape(field.old)!s} -> {escape(field.new)!s}")
    if result.is_empty:
        console.print("no differences")


@catalog_app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(help="A catalog file or folder to validate.")],
) -> None:
    """Validate a catalog file without importing it; problems are listed with file and line."""
    catalog = _load(str(file), _settings())
    typer.echo(
        f"ok: '{catalog.id}' {catalog.version}, {len(catalog.clauses)} clauses, "
        f"{len(catalog.all_practices())} practices"
    )


@catalog_app.command("remove")
def remove_command(
    catalog_id: Annotated[str, typer.Argument(help="Catalog id.")],
    overlay: Annotated[
        bool, typer.Option("--overlay", help="Remove the licensed overlay, not the catalog.")
    ] = False,
) -> None:
    """Delete an imported catalog or licensed overlay from the data directory."""
    from qmsgap.clauses.store import remove_import

    path = remove_import(catalog_id, _settings(), overlay=overlay)
    typer.echo(f"removed {path}")


@catalog_app.command("route")
def route_command(
    text: Annotated[str, typer.Argument(help='Text citing standards, e.g. "per ISO 9001 8.5.6".')],
    catalog_id: Annotated[str, typer.Option("--catalog", help="Target catalog.")] = "asqms",
) -> None:
    """Show which catalog ids the standard citations in TEXT route to."""
    from qmsgap.clauses import citation_router, find_references

    router = citation_router(catalog_id, _settings())
    references = find_references(text)
    if not references:
        typer.echo("no citation of a known standard found")
        return
    for reference in references:
        where = f"{reference.standard} {reference.clause}".strip()
        routes = router.route(reference)
        typer.echo(f"{where}  ({reference.text!r}): {len(routes)} target(s)")
        for route in routes:
            typer.echo(
                f"  {route.target:<8} {route.relationship:<9} {route.match:<6} via {route.via}: "
                f"{route.rationale}"
            )
