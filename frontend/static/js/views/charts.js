// The dashboard's pictures: coverage per chapter (an inline SVG bar chart with a table of the
// same numbers) and the clause-by-status heat map (a table whose cells are shaded by count).

import { h, newId, replace, s, STATUS_LABELS, STATUSES, table } from "../dom.js";

const COLORS = { covered: "#17663a", partial: "#8a4b00", gap: "#b42318", not_applicable: "#4b5563" };
const CREDIT = { covered: 1, partial: 0.5, gap: 0 };

/** Readiness of a set of practices, as the engine defines it (mandatory weighted double). */
export function readinessOf(practices) {
  let earned = 0;
  let possible = 0;
  for (const p of practices) {
    if (p.status === "not_applicable") continue;
    const weight = p.mandatory ? 2 : 1;
    earned += weight * CREDIT[p.status];
    possible += weight;
  }
  return possible ? (100 * earned) / possible : null;
}

export function chapterStats(report, chapterTitles) {
  const chapters = new Map();
  for (const clause of report.clauses) {
    if (!chapters.has(clause.chapter)) {
      chapters.set(clause.chapter, {
        id: clause.chapter,
        title: chapterTitles.get(clause.chapter) || `Chapter ${clause.chapter}`,
        counts: { covered: 0, partial: 0, gap: 0, not_applicable: 0 },
        practices: [],
      });
    }
    const chapter = chapters.get(clause.chapter);
    for (const p of clause.practices) {
      chapter.counts[p.status] += 1;
      chapter.practices.push(p);
    }
  }
  return [...chapters.values()].map((c) => ({ ...c, total: c.practices.length, readiness: readinessOf(c.practices) }));
}

/**
 * Stacked horizontal bars: practices per status for every chapter. The SVG is drawn at the
 * width it gets (and again when that changes), so its text keeps its size on any screen;
 * below 560 px the chapter name goes above its bar.
 */
export function chapterChart(stats) {
  const titleId = newId("chart-title");
  const descId = newId("chart-desc");
  const description = stats.map((c) => `Chapter ${c.id} ${c.title}: ${STATUSES.map((st) => `${c.counts[st]} ${STATUS_LABELS[st].toLowerCase()}`).join(", ")}; readiness ${c.readiness === null ? "not applicable" : `${c.readiness.toFixed(0)}%`}.`).join(" ");
  const figure = h("div", { class: "chart-canvas" });
  let drawnWidth = 0;
  const draw = (available) => {
    const width = Math.max(280, Math.floor(available));
    if (width === drawnWidth) return;
    drawnWidth = width;
    const stacked = width < 560;
    const labelWidth = stacked ? 0 : Math.min(280, Math.floor(width * 0.34));
    const rightWidth = 56;
    const barWidth = width - labelWidth - rightWidth - 8;
    const rowHeight = stacked ? 54 : 38;
    const height = 6 + stats.length * rowHeight;
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": `${titleId} ${descId}` },
      s("title", { id: titleId }, "Practices per status, by chapter"),
      s("desc", { id: descId }, description));
    stats.forEach((chapter, row) => {
      const y = 4 + row * rowHeight;
      const barY = stacked ? y + 22 : y + 4;
      const label = `${chapter.id} ${chapter.title}`;
      const room = Math.floor((stacked ? width : labelWidth) / 8);
      svg.append(s("text", { x: 0, y: stacked ? y + 15 : y + 21 }, label.length > room ? `${label.slice(0, room - 1)}…` : label));
      let x = labelWidth;
      for (const status of STATUSES) {
        const count = chapter.counts[status];
        if (!count) continue;
        const w = (barWidth * count) / Math.max(chapter.total, 1);
        svg.append(s("rect", { x, y: barY, width: Math.max(w - 1, 1), height: 24, fill: COLORS[status] },
          s("title", {}, `Chapter ${chapter.id}: ${count} ${STATUS_LABELS[status].toLowerCase()}`)));
        if (w >= 26) svg.append(s("text", { x: x + w / 2, y: barY + 17, "text-anchor": "middle", class: "bar-label", "aria-hidden": "true" }, String(count)));
        x += w;
      }
      svg.append(s("text", { x: width - rightWidth + 8, y: barY + 17 },
        chapter.readiness === null ? "n/a" : `${chapter.readiness.toFixed(0)}%`));
    });
    replace(figure, svg);
  };
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) if (entry.contentRect.width > 0) draw(entry.contentRect.width);
  });
  observer.observe(figure);
  const legend = h("ul", { class: "legend", "aria-label": "Legend" },
    STATUSES.map((st) => h("li", {}, h("span", { class: ["swatch", st], "aria-hidden": "true" }), STATUS_LABELS[st])),
    h("li", {}, "Right: chapter readiness"));
  const rows = stats.map((c) => h("tr", {},
    h("th", { scope: "row" }, `${c.id} ${c.title}`),
    STATUSES.map((st) => h("td", { class: "num" }, String(c.counts[st]))),
    h("td", { class: "num" }, c.readiness === null ? "n/a" : `${c.readiness.toFixed(1)}%`)));
  const data = h("details", {}, h("summary", {}, "The chart's numbers as a table"),
    table("Practices per status, by chapter", ["Chapter", ...STATUSES.map((st) => ({ text: STATUS_LABELS[st], class: "num" })), { text: "Readiness", class: "num" }], rows));
  return h("div", { class: "chart" }, figure, legend, data);
}

/** Clauses (rows) by practice status (columns); a cell's shade grows with its count. */
export function heatMap(report, clauseHref) {
  let max = 1;
  for (const clause of report.clauses) {
    for (const st of STATUSES) max = Math.max(max, clause.practices.filter((p) => p.status === st).length);
  }
  const rows = report.clauses.map((clause) => {
    const href = clauseHref(clause.id);
    const cells = STATUSES.map((st) => {
      const count = clause.practices.filter((p) => p.status === st).length;
      const level = count === 0 ? 0 : Math.min(4, Math.ceil((4 * count) / max));
      const label = `${clause.id}: ${count} ${STATUS_LABELS[st].toLowerCase()}`;
      return h("td", { class: ["cell", st, `level-${level}`], "data-status": st },
        count ? h("a", { href, "aria-label": label }, String(count)) : h("span", { "aria-label": label }, "0"));
    });
    return h("tr", { "data-clause": clause.id },
      h("th", { scope: "row" }, h("a", { href }, clause.id)),
      h("td", { class: "hide-narrow" }, clause.title),
      h("td", {}, h("span", { class: ["badge", `status-${clause.status}`] }, STATUS_LABELS[clause.status])),
      cells);
  });
  return table("Practices of each clause, by status", [
    "Clause", { text: "Title", class: "hide-narrow" }, "Clause status",
    ...STATUSES.map((st) => ({ text: STATUS_LABELS[st], class: "num" })),
  ], rows, { class: "heatmap" });
}
