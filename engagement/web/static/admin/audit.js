// Audit log (#/audit, admin): who did what, when, from GET /api/v1/audit?limit=200.

import { COLON, api, h, humanize, localized, num, replace, timeEl } from "./core.js";

// Every word of the page, in both languages (dates: core's LOCALE).
const STRINGS = localized({
  fr: {
    title: "Journal d’audit",
    subtitle: "Chaque modification faite par l’API d’administration\u00a0: règles, modération, campagnes.",
    placeholder: "auteur, action ou cible",
    filter: "Filtrer",
    count: (shown, total) => `${shown} sur ${total}`,
    noMatch: "Aucune entrée ne correspond.",
    none: "Aucune entrée pour l’instant.",
    columns: ["date", "qui", "action", "cible", "détail"],
    roles: { admin: "administrateur", community_manager: "community manager", marketer: "marketing" },
  },
  en: {
    title: "Audit log",
    subtitle: "Every change made through the admin API: rules, moderation, campaigns.",
    placeholder: "actor, action or target",
    filter: "Filter",
    count: (shown, total) => `${shown} of ${total}`,
    noMatch: "No entry matches.",
    none: "No entry yet.",
    columns: ["when", "who", "action", "target", "detail"],
    roles: {},
  },
});

export async function render(ctx) {
  const data = await api("GET", "/api/v1/audit?limit=200");
  if (!ctx.alive()) return;
  const entries = Array.isArray(data.entries) ? data.entries : [];
  const search = h("input", { id: "audit-filter", name: "filter", type: "search", placeholder: STRINGS.placeholder, autocomplete: "off" });
  const holder = h("div", { id: "audit-table" });
  const count = h("span", { class: "muted small", id: "audit-count" });

  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const rows = q
      ? entries.filter((e) => [e.actor, e.action, e.target, JSON.stringify(e.detail || {})].some((v) => String(v || "").toLowerCase().includes(q)))
      : entries;
    count.textContent = STRINGS.count(num(rows.length), num(entries.length));
    if (!rows.length) {
      replace(holder, h("p", { class: "empty" }, entries.length ? STRINGS.noMatch : STRINGS.none));
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
          h("thead", null, h("tr", null, STRINGS.columns.map((label) => h("th", { scope: "col" }, label)))),
          h(
            "tbody",
            null,
            rows.map((e) =>
              h(
                "tr",
                null,
                h("td", { class: "nowrap" }, timeEl(e.at)),
                h("td", null, h("span", { class: `pill pill-role-${e.actor}` }, STRINGS.roles[e.actor] || humanize(e.actor || "?"))),
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
      h("div", { class: "page-head" }, h("div", null, h("h1", null, STRINGS.title), h("p", { class: "subtitle" }, STRINGS.subtitle))),
      h(
        "section",
        { class: "card" },
        h(
          "header",
          { class: "card-head" },
          h("div", { class: "inline-form" }, h("label", { for: "audit-filter", class: "inline-label" }, STRINGS.filter), search),
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
    .map((k) => `${k}${COLON}${short(value[k])}`)
    .join(" · ");
  if (keys.length <= 3 && summary.length < 90) return h("span", { class: "small muted" }, summary);
  return h("details", { class: "detail" }, h("summary", null, summary.length > 90 ? `${summary.slice(0, 88)}…` : summary), h("pre", { class: "json" }, JSON.stringify(value, null, 2)));
}

function short(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") return JSON.stringify(v).slice(0, 40);
  return String(v).slice(0, 40);
}
