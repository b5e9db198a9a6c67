// The dashboard of one analysis: readiness, coverage per chapter, the clause heat map, the
// prioritized gap list, document findings, and every report format for download.

import { api, download, query } from "../api.js";
import { announce, badge, formatDate, h, notify, replace, statusBadge, table } from "../dom.js";
import { chapterChart, chapterStats, heatMap } from "./charts.js";
import { analysisPicker, noAnalysis, results, succeededAnalyses, workspaceFrame } from "./frame.js";

const EXPORTS = [
  ["json", "JSON"], ["csv", "CSV"], ["xlsx", "Excel (XLSX)"], ["html", "HTML"], ["docx", "Word (DOCX)"], ["pdf", "PDF"],
];
const FINDING_LABELS = {
  missing_revision: "Missing revision",
  missing_date: "Missing date",
  outdated: "Outdated",
  withdrawn_standard: "Withdrawn standard cited",
  empty_section: "Empty section",
  unresolved_placeholder: "Unresolved placeholder",
  no_text_layer: "Pages without text",
};
const GAPS_SHOWN = 15;
const catalogTitles = new Map();

async function chapterTitles(framework) {
  if (!catalogTitles.has(framework)) {
    const catalog = await api.get(`/catalogs/${encodeURIComponent(framework)}`);
    catalogTitles.set(framework, new Map(catalog.chapters.map((c) => [c.id, c.title])));
  }
  return catalogTitles.get(framework);
}

export async function render(ctx) {
  const { workspace, body } = await workspaceFrame(ctx, "dashboard");
  const analyses = await succeededAnalyses(workspace.id);
  if (!analyses.length) return noAnalysis(ctx, workspace, body);
  const base = `#/w/${workspace.id}/dashboard`;
  const picker = analysisPicker(ctx, analyses, base);
  const analysis = picker.chosen;
  const [report, titles] = await Promise.all([results(workspace.id, analysis.id), chapterTitles(workspace.framework)]);
  const suffix = picker.latest ? "" : query({ analysis: analysis.id });
  const clauseHref = (id) => `#/w/${workspace.id}/clause/${encodeURIComponent(id)}${suffix}`;
  const practiceHref = (id) => `#/w/${workspace.id}/practice/${encodeURIComponent(id)}`;

  replace(body,
    h("div", { class: "page-head" }, picker.control,
      h("p", { class: "meta" }, `Generated ${formatDate(report.generated_at)} from ${report.documents.length} documents · ${report.framework.title} ${report.framework.version} · software type ${report.software_type}`)),
    picker.latest ? null : h("p", { class: "manual-note" }, "You are looking at an earlier analysis. Reviews apply to the latest one."),
    h("div", { class: "grid" },
      readinessPanel(report),
      exportsPanel(workspace, analysis)),
    h("section", { class: "panel", "aria-labelledby": "chapters-heading" },
      h("h2", { id: "chapters-heading" }, "Coverage per chapter"),
      chapterChart(chapterStats(report, titles))),
    h("section", { class: "panel", "aria-labelledby": "heatmap-heading" },
      h("h2", { id: "heatmap-heading" }, "Clauses by status"),
      h("p", { class: "meta" }, "Number of practices of each clause per status; darker means more. Choose a clause to see its practices and evidence."),
      heatMap(report, clauseHref)),
    gapsPanel(report, clauseHref, practiceHref),
    findingsPanel(report));
  return `Dashboard · ${workspace.name}`;
}

function readinessPanel(report) {
  const summary = report.summary;
  const fill = h("span");
  fill.style.width = `${Math.max(0, Math.min(100, summary.readiness))}%`;
  return h("section", { class: "panel", "aria-labelledby": "readiness-heading" },
    h("h2", { id: "readiness-heading" }, "Stage 1 readiness"),
    h("div", { class: "readiness" },
      h("p", { class: "score", id: "readiness-score" }, `${summary.readiness.toFixed(1)}`, h("small", {}, " %")),
      h("div", { class: "bar", role: "img", "aria-label": `Readiness ${summary.readiness.toFixed(1)} percent` }, fill)),
    h("p", { class: "meta" }, "Credit of applicable practices (covered 1, partial ½), mandatory practices counted twice."),
    h("h3", {}, "Practices"),
    h("ul", { class: "counts" },
      ["covered", "partial", "gap", "not_applicable"].map((st) => h("li", {}, statusBadge(st), h("span", {}, String(summary[st]))))),
    h("p", {}, h("strong", {}, String(summary.mandatory_gaps)), " mandatory practices are gaps."),
    h("h3", {}, "Clauses"),
    h("ul", { class: "counts" },
      Object.entries(summary.clauses).map(([st, n]) => h("li", {}, statusBadge(st), h("span", {}, String(n))))));
}

function exportsPanel(workspace, analysis) {
  const buttons = EXPORTS.map(([format, label]) => {
    const button = h("button", { type: "button", "data-format": format, "aria-label": `Download the report as ${label}` }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const name = await download(`/workspaces/${workspace.id}/analyses/${analysis.id}/report/${format}`, `qmsgap-report.${format}`);
        announce(`${name} downloaded`);
      } catch (e) {
        notify(`The ${label} report could not be made: ${e.message}`, "error");
      } finally {
        button.disabled = false;
      }
    });
    return button;
  });
  return h("section", { class: "panel", "aria-labelledby": "exports-heading" },
    h("h2", { id: "exports-heading" }, "Export"),
    h("p", { class: "meta" }, "Reports include the review decisions and name the document versions (sha256) they are based on. Word is an editable Stage 1 pre-screen report."),
    h("div", { class: "exports" }, buttons));
}

function gapsPanel(report, clauseHref, practiceHref) {
  const gapRow = (gap) => h("tr", {},
    h("td", { class: "num" }, String(gap.rank)),
    h("th", { scope: "row" }, h("a", { href: practiceHref(gap.practice_id) }, gap.practice_id)),
    h("td", {}, h("a", { href: clauseHref(gap.clause_id) }, gap.clause_id)),
    h("td", {}, gap.title),
    h("td", {}, gap.type),
    h("td", {}, gap.mandatory ? "Mandatory" : "Optional"),
    h("td", {}, statusBadge(gap.status)),
    h("td", { class: "guidance hide-narrow", title: gap.guidance }, h("p", {}, gap.guidance)));
  const headers = [{ text: "Rank", class: "num" }, "Practice", "Clause", "Title", "Type", "Obligation", "Status", { text: "What to write", class: "hide-narrow" }];
  const box = h("div", {});
  const show = (all) => {
    const gaps = all ? report.gaps : report.gaps.slice(0, GAPS_SHOWN);
    const parts = [table(`Prioritized gaps (${report.gaps.length})`, headers, gaps.map(gapRow), { id: "gap-list" })];
    if (!all && report.gaps.length > GAPS_SHOWN) {
      const more = h("button", { type: "button" }, `Show all ${report.gaps.length} gaps and partials`);
      more.addEventListener("click", () => {
        show(true);
        box.querySelector("tbody tr:nth-child(" + (GAPS_SHOWN + 1) + ") a")?.focus();
      });
      parts.push(h("div", { class: "actions" }, more));
    }
    replace(box, parts);
  };
  show(false);
  return h("section", { class: "panel", "aria-labelledby": "gaps-heading" },
    h("h2", { id: "gaps-heading" }, "Prioritized gap list"),
    h("p", { class: "meta" }, "Mandatory gaps first, then mandatory partials, optional gaps and optional partials."),
    report.gaps.length ? box : h("p", { class: "empty" }, "No gaps: every applicable practice is covered."));
}

function findingsPanel(report) {
  const rows = [];
  for (const doc of report.documents) {
    for (const error of doc.errors || []) {
      rows.push(h("tr", {}, h("th", { scope: "row" }, doc.document), h("td", {}, badge("Unreadable", "rejected")),
        h("td", {}, "major"), h("td", {}, "–"), h("td", {}, error)));
    }
    for (const finding of doc.findings || []) {
      const where = [finding.page ? `page ${finding.page}` : null, (finding.section || []).join(" › ") || null].filter(Boolean).join(", ");
      rows.push(h("tr", {},
        h("th", { scope: "row" }, doc.document),
        h("td", {}, FINDING_LABELS[finding.code] || finding.code),
        h("td", {}, finding.severity),
        h("td", {}, where || "–"),
        h("td", {}, finding.message, finding.quote ? h("div", { class: "meta" }, `“${finding.quote}”`) : null)));
    }
  }
  return h("section", { class: "panel", "aria-labelledby": "findings-heading" },
    h("h2", { id: "findings-heading" }, "Document findings"),
    h("p", { class: "meta" }, "Document-control observations an auditor raises on a Stage 1 review: missing revision or date, outdated documents, withdrawn standards, placeholders."),
    rows.length ? table(`Findings (${rows.length})`, ["Document", "Finding", "Severity", "Where", "Details"], rows)
      : h("p", { class: "empty" }, "No findings."));
}

