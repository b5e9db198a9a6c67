// Who works in a workspace. Everyone sees the members; administrators add users of the
// organisation (suppliers, consultants, auditors) and remove them.

import { api } from "../api.js";
import { field, formatDate, h, notify, replace, table } from "../dom.js";

export function membersSection(ctx, workspace) {
  const path = `/workspaces/${workspace.id}/members`;
  const box = h("div", {}, h("p", { class: "loading" }, "Loading the members…"));
  const manage = ctx.session.can("manage_members");

  const draw = async () => {
    const [members, users] = await Promise.all([
      api.get(path),
      manage ? api.get("/users") : Promise.resolve({ data: [] }),
    ]);
    const memberIds = new Set(members.data.map((m) => m.user_id));
    const rows = members.data.map((m) => {
      const cells = [
        h("th", { scope: "row" }, m.name, h("div", { class: "meta" }, m.email)),
        h("td", {}, m.role),
        h("td", { class: "hide-narrow" }, formatDate(m.added_at)),
      ];
      if (manage) {
        const remove = h("button", { type: "button", class: "small danger", "aria-label": `Remove ${m.email} from the workspace` }, "Remove");
        remove.addEventListener("click", async () => {
          try {
            await api.del(`${path}/${m.user_id}`);
            notify(`${m.email} removed from the workspace`, "success");
            await draw();
          } catch (e) {
            notify(`${m.email} was not removed: ${e.message}`, "error");
          }
        });
        cells.push(h("td", {}, remove));
      }
      return h("tr", {}, cells);
    });
    const parts = [table(`Members (${members.count})`, ["Member", "Role", { text: "Added", class: "hide-narrow" }, ...(manage ? ["Actions"] : [])], rows)];
    const candidates = users.data.filter((u) => u.active && !memberIds.has(u.id));
    if (manage && candidates.length) {
      const select = h("select", { name: "user" }, candidates.map((u) => h("option", { value: u.id }, `${u.name} (${u.email}, ${u.role})`)));
      const form = h("form", { class: "inline-form" }, field("User of the organisation", select), h("button", { type: "submit" }, "Add member"));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await api.post(path, { user_id: select.value });
          notify("Member added", "success");
          await draw();
        } catch (e) {
          notify(`Not added: ${e.message}`, "error");
        }
      });
      parts.push(form);
    }
    replace(box, parts);
  };
  draw().catch((e) => replace(box, h("p", { class: "form-error" }, e.message)));
  return h("section", { class: "panel", "aria-labelledby": "members-heading" },
    h("h2", { id: "members-heading" }, "Members"),
    h("p", { class: "meta" }, "Administrators see every workspace of the organisation; other users see the workspaces they are members of."),
    box);
}
