// Audit log (#/audit, admin): who did what, when, from GET /api/v1/audit?limit=200.

import { api, h, humanize, replace, timeEl } from "./core.js";

export async function render(ctx) {
  const data = await api("GET", "/api/v1/audit?limit=200");
  if (!ctx.alive()) return;
  const entries = Array.isArray(data.entries) ? data.entries : [];
  const search = h("input", { id: "audit-filter", name: "filter", type: "search", placeholder: "actor, action or target", autocomplete: "off" });
  const holder = h("div", { id: "audit-table" });
  const count = h("span", { class: "muted small", id: "audit-count" });

  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const rows = q
      ? entries.filter((e) => [e.actor, e.action, e.target, JSON.stringify(e.detail || {})].some((v) => String(v || "").toLowerCase().includes(q)))
      : entries;
    count.textContent = `${rows.length} of ${entries.length}`;
    if (!rows.length) {
      replace(holder, h("p", { class: "empty" }, entries.length ? "No entry matches." : "No entry yet."));
      return;
    }
    replace(
      holder,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data audit" },
          h("thead", null, h("tr", null, ["when", "who", "action", "target", "detail"].map((label) => h("th", { scope: "col" }, label)))),
          h(
            "tbody",
            null,
            rows.map((e) =>
              h(
                "tr",
                null,
                h("td", { class: "nowrap" }, timeEl(e.at)),
                h("td", null, h("span", { class: `pill pill-role-${e.actor}` }, humanize(e.actor || "?"))),
                h("td", null, h("code", null, e.action || "")),
                h("td", null, e.target || "—"),
                h("td", null, detail(e.detail)),
              ),
            ),
          ),
        ),
      ),
    );
  };
  search.addEventListener("input", draw);

  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-audit" },
      h("div", { class: "page-head" }, h("div", null, h("h1", null, "Audit log"), h("p", { class: "subtitle" }, "Every change made through the admin API: rules, moderation, campaigns."))),
      h(
        "section",
        { class: "card" },
        h(
          "header",
          { class: "card-head" },
          h("div", { class: "inline-form" }, h("label", { for: "audit-filter", class: "inline-label" }, "Filter"), search),
          count,
        ),
        holder,
      ),
    ),
  );
  draw();
}

function detail(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  const keys = Object.keys(value);
  if (!keys.length) return "";
  const summary = keys
    .slice(0, 3)
    .map((k) => `${k}: ${short(value[k])}`)
    .join(" · ");
  if (keys.length <= 3 && summary.length < 90) return h("span", { class: "small muted" }, summary);
  return h("details", { class: "detail" }, h("summary", null, summary.length > 90 ? `${summary.slice(0, 88)}…` : summary), h("pre", { class: "json" }, JSON.stringify(value, null, 2)));
}

function short(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") return JSON.stringify(v).slice(0, 40);
  return String(v).slice(0, 40);
}
