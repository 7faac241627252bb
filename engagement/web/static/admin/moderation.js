// Moderation (#/moderation): pending reviews and ideas as cards, approve / reject with a
// note, and approved ideas that can be marked as shipped.

import { api, errorNotice, h, humanize, num, replace, spinner, timeEl } from "./core.js";

const TABS = [
  { id: "review", label: "Reviews", status: "pending", kind: "review", decisions: ["approve", "reject"] },
  { id: "idea", label: "Ideas", status: "pending", kind: "idea", decisions: ["approve", "reject"] },
  { id: "shipping", label: "Ideas to ship", status: "approved", kind: "idea", decisions: ["ship", "reject"] },
];
let currentTab = "review";

export async function render(ctx) {
  const panel = h("div", { id: "moderation-panel", role: "tabpanel", class: "moderation-panel" });
  const tabButtons = TABS.map((tab) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${tab.id}`,
        class: "tab",
        dataset: { kind: tab.id },
        "aria-controls": "moderation-panel",
      },
      tab.label,
      h("span", { class: "tab-count", id: `tab-count-${tab.id}` }),
    ),
  );
  const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "Contributions" }, tabButtons);
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-moderation" },
      h(
        "div",
        { class: "page-head" },
        h("div", null, h("h1", null, "Moderation"), h("p", { class: "subtitle" }, "Reviews and ideas wait here before they are published. Rewards are the same whatever the rating.")),
        h("div", { class: "page-tools" }, h("button", { type: "button", class: "ghost", id: "moderation-refresh", onclick: () => show(currentTab) }, "Refresh")),
      ),
      tablist,
      panel,
    ),
  );

  const select = (id) => {
    for (const b of tabButtons) {
      const on = b.dataset.kind === id;
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle("active", on);
    }
    panel.setAttribute("aria-labelledby", `tab-${id}`);
  };

  const show = async (id) => {
    currentTab = id;
    select(id);
    replace(panel, spinner());
    const tab = TABS.find((t) => t.id === id);
    const items = await load(tab);
    if (!ctx.alive() || currentTab !== id || items === null) return;
    setCount(tab.id, items.length);
    if (!items.length) {
      replace(panel, h("div", { class: "empty-state" }, h("p", { class: "empty" }, tab.status === "pending" ? `No ${tab.label.toLowerCase()} waiting. All caught up.` : "No approved idea waiting to be shipped.")));
      return;
    }
    replace(panel, h("div", { class: "cards" }, items.map((item) => contributionCard(ctx, item, tab))));
  };

  tablist.addEventListener("keydown", (event) => {
    const index = TABS.findIndex((t) => t.id === currentTab);
    let next = null;
    if (event.key === "ArrowRight") next = (index + 1) % TABS.length;
    if (event.key === "ArrowLeft") next = (index - 1 + TABS.length) % TABS.length;
    if (next === null) return;
    event.preventDefault();
    tabButtons[next].focus();
    show(TABS[next].id);
  });
  for (const b of tabButtons) b.addEventListener("click", () => show(b.dataset.kind));

  // the first list decides whether the page is allowed at all (a 403 replaces the page)
  const tab = TABS.find((t) => t.id === currentTab) || TABS[0];
  select(tab.id);
  const first = await api("GET", query(tab));
  if (!ctx.alive()) return;
  const items = Array.isArray(first.contributions) ? first.contributions : [];
  setCount(tab.id, items.length);
  if (!items.length) {
    replace(panel, h("div", { class: "empty-state" }, h("p", { class: "empty" }, tab.status === "pending" ? `No ${tab.label.toLowerCase()} waiting. All caught up.` : "No approved idea waiting to be shipped.")));
  } else {
    replace(panel, h("div", { class: "cards" }, items.map((item) => contributionCard(ctx, item, tab))));
  }
  // counts for the other tabs
  for (const other of TABS) {
    if (other.id === tab.id) continue;
    api("GET", query(other))
      .then((data) => ctx.alive() && setCount(other.id, (data.contributions || []).length))
      .catch(() => {});
  }

  async function load(t) {
    try {
      const data = await api("GET", query(t));
      return Array.isArray(data.contributions) ? data.contributions : [];
    } catch (err) {
      if (ctx.alive() && currentTab === t.id) replace(panel, errorNotice(err));
      return null;
    }
  }
}

function query(tab) {
  return `/api/v1/contributions?status=${encodeURIComponent(tab.status)}&kind=${encodeURIComponent(tab.kind)}`;
}

function setCount(id, n) {
  const el = document.getElementById(`tab-count-${id}`);
  if (el) el.textContent = n >= 100 ? "100+" : String(n);
}

function stars(rating) {
  const n = Math.max(0, Math.min(5, Number(rating) || 0));
  return h("span", { class: "stars", "aria-label": `${n} out of 5 stars`, title: `${n}/5` }, "★".repeat(n), h("span", { class: "stars-off" }, "★".repeat(5 - n)));
}

function contributionCard(ctx, item, tab) {
  const noteId = `note-${String(item.id).replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const note = h("input", { id: noteId, name: "note", type: "text", maxlength: "500", placeholder: "optional, kept with the decision" });
  const result = h("div", { class: "moderation-result", role: "status", "aria-live": "polite" });
  const buttons = tab.decisions.map((decision) =>
    h(
      "button",
      {
        type: "button",
        class: `${decision} ${decision === "reject" ? "danger-ghost" : "primary"} small`,
        dataset: { id: String(item.id), decision },
      },
      decision === "approve" ? "Approve" : decision === "reject" ? "Reject" : "Mark as shipped",
    ),
  );
  const el = h(
    "article",
    { class: "card contribution", dataset: { id: String(item.id) } },
    h(
      "header",
      { class: "contribution-head" },
      h(
        "div",
        null,
        h("a", { href: `#/customers/${encodeURIComponent(item.customer_id)}`, class: "customer-link" }, item.customer_id),
        item.language ? h("span", { class: "tag" }, String(item.language).toUpperCase()) : null,
        item.channel ? h("span", { class: "tag" }, item.channel) : null,
      ),
      h("span", { class: "muted small" }, timeEl(item.created_at, true)),
    ),
    item.kind === "review" && item.rating !== null && item.rating !== undefined ? stars(item.rating) : null,
    item.title ? h("h3", { class: "contribution-title" }, item.title) : null,
    h("p", { class: "contribution-body" }, item.body || item.text || h("span", { class: "muted" }, "(no text)")),
    h(
      "p",
      { class: "contribution-meta muted small" },
      [
        item.order_id ? `order ${item.order_id}` : null,
        item.sku ? `product ${item.sku}` : null,
        item.kind === "idea" && item.votes ? `${num(item.votes)} votes` : null,
        `#${item.id}`,
      ]
        .filter(Boolean)
        .join(" · "),
    ),
    h("div", { class: "field compact" }, h("label", { for: noteId }, "Note"), note),
    h("div", { class: "actions" }, buttons),
    result,
  );
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      const decision = button.dataset.decision;
      for (const b of buttons) b.disabled = true;
      note.disabled = true;
      replace(result, spinner("Saving…"));
      try {
        const body = { decision };
        if (note.value.trim()) body.note = note.value.trim();
        const done = await api("POST", `/api/v1/contributions/${encodeURIComponent(item.id)}/moderation`, { json: body });
        if (!ctx.alive()) return;
        el.classList.add("done", `is-${done.status}`);
        replace(result, outcome(done));
        const count = document.getElementById(`tab-count-${tab.id}`);
        if (count && /^\d+$/.test(count.textContent)) count.textContent = String(Math.max(0, Number(count.textContent) - 1));
      } catch (err) {
        if (!ctx.alive()) return;
        for (const b of buttons) b.disabled = false;
        note.disabled = false;
        replace(result, errorNotice(err));
      }
    });
  }
  return el;
}

function outcome(done) {
  const awarded = Array.isArray(done.awarded) ? done.awarded : [];
  const parts = [];
  const pointsTotal = awarded.reduce((sum, a) => sum + (Number(a.points) || 0), 0);
  if (pointsTotal) parts.push(`+${num(pointsTotal)} points`);
  for (const a of awarded) {
    if (a.badge) parts.push(`badge ${humanize(a.badge)}`);
    if (a.coupon) parts.push(`coupon ${a.coupon}`);
  }
  if (Number(done.points_reversed)) parts.push(`${num(done.points_reversed)} points taken back`);
  const detail = awarded.length
    ? h(
        "ul",
        { class: "awards" },
        awarded.map((a) =>
          h(
            "li",
            null,
            h("code", null, a.rule),
            ": ",
            [a.points ? `${num(a.points)} points` : null, a.badge ? `badge ${a.badge}` : null, a.coupon ? `coupon ${a.coupon}` : null].filter(Boolean).join(", ") || "recorded",
          ),
        ),
      )
    : null;
  return h(
    "div",
    { class: "outcome" },
    h("span", { class: `pill pill-${done.status}` }, done.status),
    " ",
    h("span", { class: "outcome-text" }, parts.length ? parts.join(" · ") : "no reward for this one"),
    detail,
  );
}
