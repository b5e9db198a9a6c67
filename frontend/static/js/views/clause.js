// One clause of an analysis: its practices with status, type, obligation and confidence, and
// every evidence quote in its context, with review actions on the latest analysis.

import { api, query } from "../api.js";
import { h, percent, replace, statusBadge } from "../dom.js";
import { documentIndex } from "./evidence.js";
import { analysisPicker, noAnalysis, succeededAnalyses, workspaceFrame } from "./frame.js";
import { practiceCard } from "./practicecard.js";

export async function render(ctx) {
  const clauseId = ctx.params.clause;
  const { workspace, body, heading } = await workspaceFrame(ctx, "dashboard", `Clause ${clauseId}`);
  const analyses = await succeededAnalyses(workspace.id);
  if (!analyses.length) return noAnalysis(ctx, workspace, body);
  const picker = analysisPicker(ctx, analyses, `#/w/${workspace.id}/clause/${encodeURIComponent(clauseId)}`);
  const analysis = picker.chosen;
  const canReview = ctx.session.can("review") && picker.latest;
  const docs = documentIndex(analysis);
  const list = h("div", { id: "practices" });

  const draw = async (focusPractice) => {
    const [coverage, reviews] = await Promise.all([
      api.get(`/workspaces/${workspace.id}/coverage`, { analysis_id: analysis.id, clause: clauseId }),
      api.get(`/workspaces/${workspace.id}/reviews`),
    ]);
    const clause = coverage.clauses.find((c) => c.id === clauseId);
    if (!clause) {
      replace(list, h("p", { class: "form-error" }, `This analysis has no clause ${clauseId}.`));
      return null;
    }
    heading.textContent = `${clause.id} ${clause.title}`;
    const suffix = picker.latest ? "" : query({ analysis: analysis.id });
    replace(list,
      h("div", { class: "badges", id: "clause-status" }, "Clause status: ", statusBadge(clause.status), ` score ${percent(clause.score)}`),
      clause.not_applicable_reason ? h("p", { class: "manual-note" }, h("strong", {}, "Not applicable: "), clause.not_applicable_reason) : null,
      h("p", {}, h("a", { href: `#/w/${workspace.id}/dashboard${suffix}` }, "Back to the dashboard")),
      clause.practices.map((practice) => practiceCard(practice, {
        workspaceId: workspace.id,
        docs,
        canReview,
        records: reviews.evidence,
        override: reviews.statuses.find((st) => st.practice_id === practice.id) || null,
        headingLevel: 2,
        titleHref: `#/w/${workspace.id}/practice/${encodeURIComponent(practice.id)}`,
        onChanged: draw,
      })));
    focusHeading(focusPractice);
    return clause;
  };

  replace(body, h("div", { class: "page-head" }, picker.control),
    picker.latest ? null : h("p", { class: "manual-note" }, "This is an earlier analysis: reviews are made on the latest one."),
    !ctx.session.can("review") ? h("p", { class: "meta" }, `Your role (${ctx.session.user.role}) reads reviews; consultants and administrators make them.`) : null,
    list);
  const clause = await draw();
  return clause ? `${clause.id} ${clause.title}` : `Clause ${clauseId}`;
}

/** After a review re-drew the list, focus returns to the practice that changed. */
export function focusHeading(practiceId) {
  if (!practiceId) return;
  const heading = document.getElementById(`practice-${practiceId}`);
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}
