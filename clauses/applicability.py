"""Which practices are mandatory: software type rules and tailoring.

ASQMS: Type I software makes BP mandatory (AP, RP optional); Type II makes BP and AP mandatory
(RP optional). Other catalogs declare their own rules in ``practice_types`` (e.g. IAF-AQMS maturity
tiers). Tailoring declares whole clauses not applicable, each with a justification; clauses marked
``tailorable: false`` cannot be tailored out.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qmsgap.clauses.models import Catalog, Obligation, Practice
from qmsgap.errors import CatalogError


class TailoredClause(BaseModel):
    """One clause declared not applicable, with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clause_id: str
    justification: str = Field(description="Why the clause does not apply; must not be empty.")

    @field_validator("justification")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a justification is required")
        return value.strip()


class Tailoring(BaseModel):
    """Clauses of one catalog declared not applicable. Build it with :meth:`for_catalog` so the
    clause ids are checked against the catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    catalog_id: str
    clauses: tuple[TailoredClause, ...] = ()

    @classmethod
    def for_catalog(cls, catalog: Catalog, justifications: Mapping[str, str]) -> Tailoring:
        """Tailoring of ``catalog`` from clause id -> justification.

        Raises:
            CatalogError: listing every unknown clause id, empty justification, and clause that
                cannot be tailored out (with the catalog's reason).
        """
        problems: list[str] = []
        items: list[TailoredClause] = []
        known = {clause.id: clause for clause in catalog.clauses}
        for clause_id, justification in justifications.items():
            clause = known.get(clause_id)
            if clause is None:
                problems.append(f"clause '{clause_id}': not in catalog '{catalog.id}'")
                continue
            if not clause.tailorable:
                reason = clause.tailoring_rationale or "the catalog marks it as not tailorable"
                problems.append(f"clause '{clause_id}': cannot be tailored out ({reason})")
                continue
            if not isinstance(justification, str) or not justification.strip():
                problems.append(f"clause '{clause_id}': a justification is required")
                continue
            items.append(TailoredClause(clause_id=clause_id, justification=justification))
        if problems:
            raise CatalogError("invalid tailoring: " + "; ".join(problems))
        order = {clause.id: index for index, clause in enumerate(catalog.clauses)}
        items.sort(key=lambda item: order[item.clause_id])
        return cls(catalog_id=catalog.id, clauses=tuple(items))

    def excludes(self, clause_id: str) -> bool:
        """True if ``clause_id`` is declared not applicable."""
        return any(item.clause_id == clause_id for item in self.clauses)

    def justification(self, clause_id: str) -> str | None:
        """The justification recorded for ``clause_id``, or None if it is not tailored out."""
        for item in self.clauses:
            if item.clause_id == clause_id:
                return item.justification
        return None


def obligation(
    catalog: Catalog,
    practice: Practice | str,
    software_type: str,
    tailoring: Tailoring | None = None,
) -> Obligation:
    """Whether ``practice`` is mandatory or optional for ``software_type`` (or not applicable
    because its clause is tailored out).

    ``software_type`` is one of ``catalog.software_types`` (ASQMS: "I" or "II"; "Type I" and
    "type-ii" spellings are accepted for ASQMS-style types).

    Raises:
        NotFound: if the practice is not in the catalog.
        CatalogError: if the software type is unknown to the catalog, the tailoring belongs to
            another catalog, or the practice type has no rule for the software type.
    """
    practice_id = practice if isinstance(practice, str) else practice.id
    clause, found = catalog.locate(practice_id)
    if tailoring is not None:
        if tailoring.catalog_id != catalog.id:
            raise CatalogError(
                f"tailoring is for catalog '{tailoring.catalog_id}', not '{catalog.id}'"
            )
        if tailoring.excludes(clause.id):
            return Obligation.NOT_APPLICABLE
    kind = normalise_software_type(catalog, software_type)
    rule = catalog.practice_type(found.type)
    if kind in rule.obligation:
        return rule.obligation[kind]
    if "default" in rule.obligation:
        return rule.obligation["default"]
    raise CatalogError(
        f"catalog '{catalog.id}': practice type '{rule.key}' has no rule for software type '{kind}'"
    )


def normalise_software_type(catalog: Catalog, software_type: str) -> str:
    """``software_type`` as the catalog spells it ("Type II", "type-ii", "2" -> "II" for ASQMS).

    Raises:
        CatalogError: if the catalog does not know the software type.
    """
    wanted = software_type.strip()
    if wanted in catalog.software_types:
        return wanted
    simplified = wanted.lower().replace("type", "").replace("-", " ").replace("_", " ").strip()
    roman = {"1": "i", "2": "ii"}.get(simplified, simplified)
    for known in catalog.software_types:
        if known.lower() == roman:
            return known
    raise CatalogError(
        f"catalog '{catalog.id}' knows software types {list(catalog.software_types)}; "
        f"got '{software_type}'"
    )


def mandatory_practices(
    catalog: Catalog, software_type: str, tailoring: Tailoring | None = None
) -> list[Practice]:
    """The practices that are mandatory for ``software_type`` under ``tailoring``, in order.

    Raises:
        CatalogError: as :func:`obligation`.
    """
    return [
        practice
        for _, practice in catalog.iter_practices()
        if obligation(catalog, practice, software_type, tailoring) is Obligation.MANDATORY
    ]
