// Customers (#/customers, #/customers/<id>): search by id, then one customer's points,
// badges, coupons, stage, fusion score and why, ledger and decision log.

import { ApiError, STAGES, api, errorNotice, euros, h, humanize, num, pill, replace, spinner, table, timeEl } from "./core.js";

const RECENT_KEY = "fusion.recentCustomers";

function recent() {
  try {
    const list = JSON.parse(sessionStorage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(list) ? list.filter((x) => typeof x === "string").slice(0, 8) : [];
  } catch (_) {
    return [];
  }
}

function remember(id) {
  const list = [id, ...recent().filter((x) => x !== id)].slice(0, 8);
  sessionStorage.setItem(RECENT_KEY, JSON.stringify(list));
}

function searchForm(ctx, value = "") {
  const input = h("input", {
    id: "customer-id",
    name: "customer_id",
    type: "search",
    placeholder: "e.g. c-1042",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    value,
  });
  const form = h(
    "form",
    { id: "customer-search", class: "search-form", role: "search" },
    h("label", { for: "customer-id", class: "sr-only" }, "Customer id"),
    h("span", { class: "search-icon", "aria-hidden": "true" }, "⌕"),
    input,
    h("button", { type: "submit", class: "primary" }, "Open"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (!id) {
      input.focus();
      return;
    }
    ctx.navigate(`#/customers/${encodeURIComponent(id)}`);
  });
  return { form, input };
}

export async function renderSearch(ctx) {
  const { form, input } = searchForm(ctx);
  const recents = recent();
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-customers" },
      h("div", { class: "page-head" }, h("div", null, h("h1", null, "Customers"), h("p", { class: "subtitle" }, "Look a customer up by id: balance, badges, coupons, ladder, fusion score, and why each reward was given or not."))),
      h("section", { class: "card search-card" }, h("label", { for: "customer-id", class: "card-label" }, "Customer id"), form),
      recents.length
        ? h(
            "section",
            { class: "card" },
            h("header", { class: "card-head" }, h("h2", null, "Recently viewed")),
            h("ul", { class: "chips" }, recents.map((id) => h("li", null, h("a", { class: "chip", href: `#/customers/${encodeURIComponent(id)}` }, id)))),
          )
        : null,
    ),
  );
  input.focus();
}

export async function renderCustomer(ctx, id) {
  const { form } = searchForm(ctx, id);
  const body = h("div", { class: "customer-body" }, spinner());
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-customer" },
      h(
        "div",
        { class: "page-head" },
        h("div", null, h("p", { class: "crumbs" }, h("a", { href: "#/customers" }, "Customers"), " / ", id), h("h1", { id: "customer-title" }, id)),
        h("div", { class: "page-tools" }, form),
      ),
      body,
    ),
  );

  let summary;
  try {
    summary = await api("GET", `/api/v1/customers/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!ctx.alive()) return;
    if (err instanceof ApiError && err.status === 404) {
      replace(body, h("div", { class: "notice not-found", role: "alert" }, `No customer with the id “${id}”.`));
      return;
    }
    if (err instanceof ApiError && err.status === 401) throw err;
    replace(body, errorNotice(err));
    return;
  }
  if (!ctx.alive()) return;
  remember(id);
  document.getElementById("customer-title").textContent = summary.name ? `${summary.name}` : id;

  const ledgerBox = h("div", { id: "customer-ledger" }, spinner());
  const couponsBox = h("div", { id: "customer-coupons" }, spinner());
  const decisionsBox = h("div", { id: "customer-decisions" }, spinner());

  replace(
    body,
    profileCard(summary, id),
    kpis(summary),
    ladderCard(summary.stage),
    h(
      "div",
      { class: "grid grid-2" },
      h(
        "section",
        { class: "card" },
        h("header", { class: "card-head" }, h("h2", null, "Badges")),
        badgesView(summary.badges),
        h("header", { class: "card-head spaced" }, h("h2", null, "Coupons")),
        couponsBox,
      ),
      fusionCard(summary),
    ),
    h("section", { class: "card" }, h("header", { class: "card-head" }, h("div", null, h("h2", null, "Points ledger"), h("p", { class: "card-sub" }, "Append-only: reversals and expiries are entries of their own."))), ledgerBox),
    h(
      "section",
      { class: "card", id: "decision-log" },
      h("header", { class: "card-head" }, h("div", null, h("h2", null, "Why? The decision log"), h("p", { class: "card-sub" }, "Every rule looked at for each event: awarded, or why not."))),
      decisionsBox,
    ),
  );

  const path = `/api/v1/customers/${encodeURIComponent(id)}`;
  await Promise.all([
    block(ctx, ledgerBox, `${path}/ledger`, (data) => ledgerTable(data.entries || [])),
    block(ctx, couponsBox, `${path}/coupons`, (data) => couponsTable(data.coupons || []), () => couponsTable(summary.coupons || [])),
    block(ctx, decisionsBox, `${path}/decisions`, (data) => decisionsView(data.decisions || [])),
  ]);
}

/** Loads one block; a 403 (e.g. a marketer and the decision log) shows the notice in it. */
async function block(ctx, box, path, view, fallback) {
  try {
    const data = await api("GET", path);
    if (ctx.alive()) replace(box, view(data || {}));
  } catch (err) {
    if (!ctx.alive()) return;
    if (fallback && !(err instanceof ApiError && err.status === 403)) replace(box, fallback());
    else replace(box, errorNotice(err));
  }
}

function profileCard(s, id) {
  const facts = [
    ["id", h("code", null, s.id || id)],
    ["language", s.language ? String(s.language).toUpperCase() : "—"],
    ["time zone", s.timezone || "—"],
    ["news", s.consent === true ? pill("opted in", "ok") : s.consent === false ? pill("not opted in", "muted") : "—"],
  ];
  return h(
    "section",
    { class: "card profile" },
    h("div", { class: "avatar", "aria-hidden": "true" }, initials(s.name || id)),
    h("dl", { class: "facts" }, facts.map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v)))),
  );
}

function initials(name) {
  const parts = String(name).replace(/[^\p{L}\p{N} ]/gu, " ").trim().split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] || "?").slice(0, 2)).toUpperCase();
}

function kpis(s) {
  const score = s.fusion_score === null || s.fusion_score === undefined ? null : Number(s.fusion_score);
  const gauge = h("div", { class: "gauge" }, h("div", { class: "gauge-fill" }));
  if (score !== null) gauge.firstChild.style.width = `${Math.max(0, Math.min(100, score))}%`;
  const badges = Array.isArray(s.badges) ? s.badges : [];
  return h(
    "div",
    { class: "kpis" },
    h("div", { class: "kpi card", id: "customer-points" }, h("span", { class: "kpi-label" }, "Points"), h("span", { class: "kpi-value" }, num(s.points)), h("span", { class: "kpi-note" }, `worth ${euros((Number(s.points) || 0) * 0.01)}`)),
    h("div", { class: "kpi card", id: "customer-fusion" }, h("span", { class: "kpi-label" }, "Fusion score"), h("span", { class: "kpi-value" }, score === null ? "—" : score.toFixed(1)), gauge),
    h("div", { class: "kpi card", id: "customer-stage" }, h("span", { class: "kpi-label" }, "Stage"), h("span", { class: "kpi-value kpi-text" }, humanize(s.stage || "—")), h("span", { class: "kpi-note" }, stageNote(s.stage))),
    h("div", { class: "kpi card", id: "customer-badges" }, h("span", { class: "kpi-label" }, "Badges"), h("span", { class: "kpi-value" }, num(badges.length)), h("span", { class: "kpi-note" }, "earned once each")),
  );
}

function stageNote(stage) {
  const i = STAGES.indexOf(stage);
  if (i < 0) return "";
  if (i === STAGES.length - 1) return "top of the ladder";
  return `next: ${humanize(STAGES[i + 1])}`;
}

function ladderCard(stage) {
  const current = STAGES.indexOf(stage);
  const steps = STAGES.map((name, i) =>
    h(
      "li",
      {
        class: `step${i < current ? " done" : ""}${i === current ? " current" : ""}`,
        "aria-current": i === current ? "step" : null,
      },
      h("span", { class: "step-dot", "aria-hidden": "true" }, i < current ? "✓" : String(i + 1)),
      h("span", { class: "step-label" }, humanize(name)),
    ),
  );
  return h(
    "section",
    { class: "card" },
    h("header", { class: "card-head" }, h("div", null, h("h2", null, "On the ladder"), h("p", { class: "card-sub" }, current < 0 ? `unknown stage “${stage}”` : `stage ${current + 1} of ${STAGES.length}`))),
    h("ol", { class: "ladder-steps", id: "customer-ladder", "aria-label": "Customer ladder" }, steps),
  );
}

function badgesView(badges) {
  const list = Array.isArray(badges) ? badges : [];
  if (!list.length) return h("p", { class: "empty" }, "No badge yet.");
  return h("ul", { class: "chips badges" }, list.map((b) => h("li", { class: "chip badge-chip" }, h("span", { class: "badge-star", "aria-hidden": "true" }, "★"), humanize(b))));
}

function fusionCard(s) {
  const rows = Array.isArray(s.fusion_explanation) ? s.fusion_explanation : [];
  return h(
    "section",
    { class: "card", id: "fusion-explanation" },
    h("header", { class: "card-head" }, h("div", null, h("h2", null, "Why this fusion score"), h("p", { class: "card-sub" }, "The events that moved it, most recent first; older moves fade toward 50."))),
    table(
      [
        { label: "event", value: (r) => humanize(r.event_type) },
        { label: "move", class: "num", value: (r) => h("span", { class: Number(r.delta) > 0 ? "good" : Number(r.delta) < 0 ? "bad" : "" }, `${Number(r.delta) > 0 ? "+" : ""}${r.delta}`) },
        { label: "weight now", class: "num", value: (r) => (r.weight_now === undefined ? "—" : `${Number(r.weight_now) > 0 ? "+" : ""}${Number(r.weight_now).toFixed(2)}`) },
        { label: "event id", value: (r) => h("code", { class: "small" }, r.event_id) },
      ],
      rows,
      { empty: "Nothing moved it yet: the score stands at the neutral value.", class: "compact" },
    ),
  );
}

function couponsTable(coupons) {
  return table(
    [
      { label: "code", value: (c) => h("code", null, c.code) },
      { label: "value", value: (c) => (c.kind === "percent" ? `${Number(c.value)}%` : euros(c.value)) },
      { label: "min. basket", class: "num", value: (c) => euros(c.min_basket) },
      { label: "expires", value: (c) => timeEl(c.expires_at) },
      { label: "state", value: (c) => couponState(c) },
    ],
    coupons,
    { empty: "No coupon.", class: "compact" },
  );
}

function couponState(c) {
  if (c.redeemed_at) return pill("redeemed", "done");
  if (c.expires_at && new Date(c.expires_at).getTime() < Date.now()) return pill("expired", "archived");
  return pill("valid", "running");
}

function ledgerTable(entries) {
  return table(
    [
      { label: "when", value: (e) => timeEl(e.created_at) },
      { label: "points", class: "num", value: (e) => h("span", { class: Number(e.points) > 0 ? "good" : Number(e.points) < 0 ? "bad" : "" }, `${Number(e.points) > 0 ? "+" : ""}${num(e.points)}`) },
      { label: "kind", value: (e) => pill(humanize(e.kind || "award"), e.kind) },
      { label: "rule", value: (e) => h("code", null, e.rule_id) },
      { label: "event", value: (e) => h("code", { class: "small" }, e.event_id) },
      { label: "reverses", value: (e) => (e.reverses_entry_id ? `#${e.reverses_entry_id}` : "") },
    ],
    entries,
    { empty: "No points yet.", class: "compact" },
  );
}

function decisionsView(decisions) {
  if (!decisions.length) return h("p", { class: "empty" }, "No rule decision recorded for this customer yet.");
  const outcomes = [...new Set(decisions.map((d) => d.outcome))].sort();
  const filter = h(
    "select",
    { id: "decision-filter", name: "outcome" },
    h("option", { value: "" }, `all outcomes (${decisions.length})`),
    outcomes.map((o) => h("option", { value: o }, `${humanize(o)} (${decisions.filter((d) => d.outcome === o).length})`)),
  );
  const holder = h("div", null);
  const draw = () => {
    const rows = filter.value ? decisions.filter((d) => d.outcome === filter.value) : decisions;
    replace(
      holder,
      table(
        [
          { label: "when", value: (d) => timeEl(d.created_at) },
          { label: "event", value: (d) => h("code", { class: "small" }, d.event_id) },
          { label: "rule", value: (d) => h("code", null, d.rule_id) },
          { label: "outcome", value: (d) => pill(humanize(d.outcome), d.outcome) },
          { label: "why", value: (d) => d.reason },
          { label: "rules", class: "num", value: (d) => (d.rules_version ? `v${d.rules_version}` : "") },
        ],
        rows,
        { class: "compact decisions" },
      ),
    );
  };
  filter.addEventListener("change", draw);
  draw();
  return h("div", null, h("div", { class: "inline-form" }, h("label", { for: "decision-filter", class: "inline-label" }, "Show"), filter), holder);
}
