// Moderation (#/moderation): pending reviews and ideas as cards, approve / reject with a
// note, and approved ideas that can be marked as shipped.

import { COLON, api, counted, badgeName, badgeNames, errorNotice, h, localized, num, replace, spinner, timeEl } from "./core.js";

// Every word of the page, in both languages (numbers and dates: core's LOCALE).
const STRINGS = localized({
  fr: {
    tabs: { review: "Avis", idea: "Idées", shipping: "Idées à livrer" },
    contributions: "Contributions",
    title: "Modération",
    subtitle: "Les avis et les idées attendent ici avant d’être publiés. Les récompenses sont les mêmes quelle que soit la note.",
    refresh: "Actualiser",
    noneWaiting: { review: "Aucun avis en attente. Tout est à jour.", idea: "Aucune idée en attente. Tout est à jour." },
    noneToShip: "Aucune idée approuvée en attente de livraison.",
    stars: (n) => `${counted(n, "étoile", "étoiles")} sur 5`,
    notePlaceholder: "facultative, conservée avec la décision",
    decisions: { approve: "Approuver", reject: "Refuser", ship: "Marquer comme livrée" },
    noText: "(sans texte)",
    order: (id) => `commande ${id}`,
    product: (sku) => `produit ${sku}`,
    votes: (n) => counted(n, "vote", "votes"),
    note: "Note",
    saving: "Enregistrement…",
    points: (n) => counted(n, "point", "points"),
    plusPoints: (n) => `+${counted(n, "point", "points")}`,
    badge: (name) => `badge «\u00a0${name}\u00a0»`,
    coupon: (id) => `bon de réduction ${id}`,
    taken: (n) => counted(n, "point repris", "points repris"),
    recorded: "enregistré",
    noReward: "pas de récompense pour celle-ci",
    status: { approved: "approuvée", rejected: "refusée", shipped: "livrée", pending: "en attente" },
  },
  en: {
    tabs: { review: "Reviews", idea: "Ideas", shipping: "Ideas to ship" },
    contributions: "Contributions",
    title: "Moderation",
    subtitle: "Reviews and ideas wait here before they are published. Rewards are the same whatever the rating.",
    refresh: "Refresh",
    noneWaiting: { review: "No reviews waiting. All caught up.", idea: "No ideas waiting. All caught up." },
    noneToShip: "No approved idea waiting to be shipped.",
    stars: (n) => `${n} out of 5 stars`,
    notePlaceholder: "optional, kept with the decision",
    decisions: { approve: "Approve", reject: "Reject", ship: "Mark as shipped" },
    noText: "(no text)",
    order: (id) => `order ${id}`,
    product: (sku) => `product ${sku}`,
    votes: (n) => counted(n, "vote", "votes"),
    note: "Note",
    saving: "Saving…",
    points: (n) => counted(n, "point", "points"),
    plusPoints: (n) => `+${counted(n, "point", "points")}`,
    badge: (name) => `badge ${name}`,
    coupon: (id) => `coupon ${id}`,
    taken: (n) => `${counted(n, "point", "points")} taken back`,
    recorded: "recorded",
    noReward: "no reward for this one",
    status: {},
  },
});

const TABS = [
  { id: "review", status: "pending", kind: "review", decisions: ["approve", "reject"] },
  { id: "idea", status: "pending", kind: "idea", decisions: ["approve", "reject"] },
  { id: "shipping", status: "approved", kind: "idea", decisions: ["ship", "reject"] },
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
      STRINGS.tabs[tab.id],
      h("span", { class: "tab-count", id: `tab-count-${tab.id}` }),
    ),
  );
  const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": STRINGS.contributions }, tabButtons);
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-moderation" },
      h(
        "div",
        { class: "page-head" },
        h("div", null, h("h1", null, STRINGS.title), h("p", { class: "subtitle" }, STRINGS.subtitle)),
        h("div", { class: "page-tools" }, h("button", { type: "button", class: "ghost", id: "moderation-refresh", onclick: () => show(currentTab) }, STRINGS.refresh)),
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
      replace(panel, h("div", { class: "empty-state" }, h("p", { class: "empty" }, tab.status === "pending" ? STRINGS.noneWaiting[tab.id] : STRINGS.noneToShip)));
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
    replace(panel, h("div", { class: "empty-state" }, h("p", { class: "empty" }, tab.status === "pending" ? STRINGS.noneWaiting[tab.id] : STRINGS.noneToShip)));
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
  return h("span", { class: "stars", "aria-label": STRINGS.stars(n), title: `${n}/5` }, "★".repeat(n), h("span", { class: "stars-off" }, "★".repeat(5 - n)));
}

function contributionCard(ctx, item, tab) {
  const noteId = `note-${String(item.id).replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const note = h("input", { id: noteId, name: "note", type: "text", maxlength: "500", placeholder: STRINGS.notePlaceholder });
  const result = h("div", { class: "moderation-result", role: "status", "aria-live": "polite" });
  const buttons = tab.decisions.map((decision) =>
    h(
      "button",
      {
        type: "button",
        class: `${decision} ${decision === "reject" ? "danger-ghost" : "primary"} small`,
        dataset: { id: String(item.id), decision },
      },
      STRINGS.decisions[decision],
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
    h("p", { class: "contribution-body" }, item.body || item.text || h("span", { class: "muted" }, STRINGS.noText)),
    h(
      "p",
      { class: "contribution-meta muted small" },
      [
        item.order_id ? STRINGS.order(item.order_id) : null,
        item.sku ? STRINGS.product(item.sku) : null,
        item.kind === "idea" && item.votes ? STRINGS.votes(num(item.votes)) : null,
        `#${item.id}`,
      ]
        .filter(Boolean)
        .join(" · "),
    ),
    h("div", { class: "field compact" }, h("label", { for: noteId }, STRINGS.note), note),
    h("div", { class: "actions" }, buttons),
    result,
  );
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      const decision = button.dataset.decision;
      for (const b of buttons) b.disabled = true;
      note.disabled = true;
      replace(result, spinner(STRINGS.saving));
      try {
        const body = { decision };
        if (note.value.trim()) body.note = note.value.trim();
        const done = await api("POST", `/api/v1/contributions/${encodeURIComponent(item.id)}/moderation`, { json: body });
        const names = await badgeNames();
        if (!ctx.alive()) return;
        el.classList.add("done", `is-${done.status}`);
        replace(result, outcome(done, names));
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

function outcome(done, names) {
  const awarded = Array.isArray(done.awarded) ? done.awarded : [];
  const parts = [];
  const pointsTotal = awarded.reduce((sum, a) => sum + (Number(a.points) || 0), 0);
  if (pointsTotal) parts.push(STRINGS.plusPoints(num(pointsTotal)));
  for (const a of awarded) {
    if (a.badge) parts.push(STRINGS.badge(badgeName(names, a.badge)));
    if (a.coupon) parts.push(STRINGS.coupon(a.coupon));
  }
  if (Number(done.points_reversed)) parts.push(STRINGS.taken(num(done.points_reversed)));
  const detail = awarded.length
    ? h(
        "ul",
        { class: "awards" },
        awarded.map((a) =>
          h(
            "li",
            null,
            h("code", null, a.rule),
            COLON,
            [a.points ? STRINGS.points(num(a.points)) : null, a.badge ? STRINGS.badge(badgeName(names, a.badge)) : null, a.coupon ? STRINGS.coupon(a.coupon) : null].filter(Boolean).join(", ") || STRINGS.recorded,
          ),
        ),
      )
    : null;
  return h(
    "div",
    { class: "outcome" },
    h("span", { class: `pill pill-${done.status}` }, STRINGS.status[done.status] || done.status),
    " ",
    h("span", { class: "outcome-text" }, parts.length ? parts.join(" · ") : STRINGS.noReward),
    detail,
  );
}
