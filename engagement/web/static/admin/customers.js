// Customers (#/customers, #/customers/<id>): the list, searched by id, name or e-mail, sorted
// and paged; then one customer's points, badges, coupons, stage, fusion score and why,
// ledger and (for the roles that may read it) decision log.

import { ApiError, LOCALE, STAGES, api, counted, badgeName, badgeNames, debounce, errorNotice, euros, h, humanize, localized, num, percent, pill, replace, spinner, stageName, table, timeEl } from "./core.js";

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
    placeholder: STRINGS.idExample,
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    value,
  });
  const form = h(
    "form",
    { id: "customer-search", class: "search-form", role: "search" },
    h("label", { for: "customer-id", class: "sr-only" }, STRINGS.customerId),
    h("span", { class: "search-icon", "aria-hidden": "true" }, "⌕"),
    input,
    h("button", { type: "submit", class: "primary" }, STRINGS.open),
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

// ---------------------------------------------------------------- the list (#/customers)

// Every word of the list and of a customer's page, in both languages (numbers and dates: core's LOCALE).
const STRINGS = localized({
  fr: {
    title: "Clients",
    subtitle: "Retrouvez un client par une partie de son identifiant, de son nom ou de son e-mail\u00a0; ouvrez sa fiche pour voir son solde, ses badges, ses bons de réduction, son échelle, son score fusion et pourquoi chaque récompense a été donnée ou non.",
    search: "Rechercher des clients",
    placeholder: "identifiant, nom ou e-mail",
    recent: "Consultés récemment",
    none: "Aucun client ne correspond.",
    total: (n) => counted(n, "client", "clients"),
    page: (page, pages) => `Page ${numberFormat.format(page)} sur ${numberFormat.format(pages)}`,
    previous: "Précédente",
    next: "Suivante",
    columns: { customer: "Client", email: "E-mail", stage: "Étape", points: "Points", last_activity: "Dernière activité" },
    sortBy: (column) => `Trier par ${column.toLowerCase()}`,
    // one customer
    idExample: "ex. c-1042",
    customerId: "Identifiant client",
    open: "Ouvrir",
    noSuchCustomer: (id) => `Aucun client n’a l’identifiant «\u00a0${id}\u00a0».`,
    badges: "Badges",
    coupons: "Bons de réduction",
    ledger: "Historique des points",
    ledgerSub: "On n’y efface rien\u00a0: annulations et expirations y sont des lignes à part entière.",
    decisions: "Pourquoi\u00a0? Le journal des décisions",
    decisionsSub: "Chaque règle examinée pour chaque événement\u00a0: récompense accordée, ou pourquoi pas.",
    facts: { id: "identifiant", language: "langue", timezone: "fuseau horaire", news: "actualités" },
    optedIn: "abonné",
    notOptedIn: "non abonné",
    points: "Points",
    worth: (amount) => `soit ${amount}`,
    fusionScore: "Score fusion",
    stage: "Étape",
    earnedOnce: "obtenus une fois chacun",
    topOfLadder: "en haut de l’échelle",
    nextStage: (name) => `suivante\u00a0: ${name}`,
    onTheLadder: "Sur l’échelle",
    unknownStage: (stage) => `étape inconnue «\u00a0${stage}\u00a0»`,
    stageOf: (n, total) => `étape ${n} sur ${total}`,
    ladderLabel: "Échelle du client",
    noBadge: "Pas encore de badge.",
    whyScore: "Pourquoi ce score fusion",
    whyScoreSub: "Les événements qui l’ont fait bouger, du plus récent au plus ancien\u00a0; les plus anciens s’estompent vers 50.",
    event: "événement",
    move: "variation",
    weightNow: "poids actuel",
    eventId: "identifiant d’événement",
    neutral: "Rien ne l’a encore fait bouger\u00a0: le score est à sa valeur neutre.",
    code: "code",
    value: "valeur",
    minBasket: "panier min.",
    expires: "expire le",
    state: "état",
    noCoupon: "Aucun bon de réduction.",
    redeemed: "utilisé",
    expired: "expiré",
    valid: "valable",
    when: "date",
    kind: "type",
    rule: "règle",
    reverses: "annule",
    noPoints: "Pas encore de points.",
    noDecision: "Aucune décision de règle enregistrée pour ce client pour l’instant.",
    allOutcomes: (n) => `toutes les issues (${n})`,
    outcome: "issue",
    why: "pourquoi",
    rules: "règles",
    show: "Afficher",
    kinds: { award: "attribution", reversal: "annulation", expiry: "expiration" },
    outcomes: { awarded: "accordée", not_eligible: "non éligible", capped: "plafonnée", over_budget: "budget épuisé" },
    eventTypes: { purchase: "achat", refund: "remboursement", review: "avis", review_approved: "avis approuvé", idea: "idée", idea_approved: "idée approuvée", idea_shipped: "idée livrée", referral: "parrainage", opt_in: "abonnement", opt_out: "désabonnement", delivery: "livraison", first_purchase: "premier achat" },
  },
  en: {
    title: "Customers",
    subtitle: "Find a customer by any part of their id, name or e-mail; open one for their balance, badges, coupons, ladder, fusion score and why each reward was given or not.",
    search: "Search customers",
    placeholder: "id, name or e-mail",
    recent: "Recently viewed",
    none: "No customer matches.",
    total: (n) => counted(n, "customer", "customers"),
    page: (page, pages) => `Page ${numberFormat.format(page)} of ${numberFormat.format(pages)}`,
    previous: "Previous",
    next: "Next",
    columns: { customer: "Customer", email: "E-mail", stage: "Stage", points: "Points", last_activity: "Last activity" },
    sortBy: (column) => `Sort by ${column.toLowerCase()}`,
    // one customer
    idExample: "e.g. c-1042",
    customerId: "Customer id",
    open: "Open",
    noSuchCustomer: (id) => `No customer with the id “${id}”.`,
    badges: "Badges",
    coupons: "Coupons",
    ledger: "Points ledger",
    ledgerSub: "Append-only: reversals and expiries are entries of their own.",
    decisions: "Why? The decision log",
    decisionsSub: "Every rule looked at for each event: awarded, or why not.",
    facts: { id: "id", language: "language", timezone: "time zone", news: "news" },
    optedIn: "opted in",
    notOptedIn: "not opted in",
    points: "Points",
    worth: (amount) => `worth ${amount}`,
    fusionScore: "Fusion score",
    stage: "Stage",
    earnedOnce: "earned once each",
    topOfLadder: "top of the ladder",
    nextStage: (name) => `next: ${name}`,
    onTheLadder: "On the ladder",
    unknownStage: (stage) => `unknown stage “${stage}”`,
    stageOf: (n, total) => `stage ${n} of ${total}`,
    ladderLabel: "Customer ladder",
    noBadge: "No badge yet.",
    whyScore: "Why this fusion score",
    whyScoreSub: "The events that moved it, most recent first; older moves fade toward 50.",
    event: "event",
    move: "move",
    weightNow: "weight now",
    eventId: "event id",
    neutral: "Nothing moved it yet: the score stands at the neutral value.",
    code: "code",
    value: "value",
    minBasket: "min. basket",
    expires: "expires",
    state: "state",
    noCoupon: "No coupon.",
    redeemed: "redeemed",
    expired: "expired",
    valid: "valid",
    when: "when",
    kind: "kind",
    rule: "rule",
    reverses: "reverses",
    noPoints: "No points yet.",
    noDecision: "No rule decision recorded for this customer yet.",
    allOutcomes: (n) => `all outcomes (${n})`,
    outcome: "outcome",
    why: "why",
    rules: "rules",
    show: "Show",
    kinds: {},
    outcomes: {},
    eventTypes: {},
  },
});

const numberFormat = new Intl.NumberFormat(LOCALE);
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });
const oneDecimal = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero" });
const fullDate = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" });
const SPANS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

/** "3 days ago", "yesterday", "in 2 hours" (CLDR via Intl). */
function sinceNow(iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return "—";
  const [unit, size] = SPANS.find(([, span]) => Math.abs(seconds) >= span) || SPANS[SPANS.length - 1];
  return relative.format(Math.round(seconds / size), unit);
}

// what the list shows, kept while the console is open (back from a customer: the same list)
const listed = { query: "", sort: "last_activity", order: "desc", page: 1 };

export async function renderList(ctx) {
  const input = h("input", { id: "customer-query", name: "query", type: "search", placeholder: STRINGS.placeholder, autocomplete: "off", spellcheck: "false", maxlength: "200", value: listed.query });
  const total = h("p", { id: "customer-total", class: "card-sub", role: "status" });
  const results = h("div", { id: "customer-results" }, spinner());
  const recents = recent();
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-customers" },
      h("div", { class: "page-head" }, h("div", null, h("h1", null, STRINGS.title), h("p", { class: "subtitle" }, STRINGS.subtitle))),
      h(
        "section",
        { class: "card search-card" },
        h("label", { for: "customer-query", class: "card-label" }, STRINGS.search),
        h("form", { class: "search-form", role: "search", onsubmit: (event) => event.preventDefault() }, h("span", { class: "search-icon", "aria-hidden": "true" }, "⌕"), input),
      ),
      recents.length
        ? h("section", { class: "card" }, h("header", { class: "card-head" }, h("h2", null, STRINGS.recent)), h("ul", { class: "chips" }, recents.map((id) => h("li", null, h("a", { class: "chip", href: `#/customers/${encodeURIComponent(id)}` }, id)))))
        : null,
      h("section", { class: "card" }, h("header", { class: "card-head" }, total), results),
    ),
  );
  let asked = 0;
  const load = async () => {
    const mine = (asked += 1);
    const query = new URLSearchParams({ query: listed.query, sort: listed.sort, order: listed.order, page: String(listed.page) });
    const data = await api("GET", `/api/v1/customers?${query}`);
    if (!ctx.alive() || mine !== asked) return;
    total.textContent = STRINGS.total(data.total);
    replace(results, customersTable(ctx, data.customers || [], sortBy), pager(data, turnTo));
  };
  const reload = () => load().catch((err) => ctx.alive() && !(err instanceof ApiError && err.status === 401) && replace(results, errorNotice(err)));
  const typed = debounce(() => {
    listed.query = input.value.trim();
    listed.page = 1;
    reload();
  }, 250);
  const sortBy = (column) => {
    typed.cancel(); // with what the field says now, not a search still waiting
    listed.query = input.value.trim();
    listed.order = listed.sort === column && listed.order === "desc" ? "asc" : "desc";
    listed.sort = column;
    listed.page = 1;
    reload();
  };
  const turnTo = (page) => {
    listed.page = page;
    reload();
  };
  input.addEventListener("input", typed);
  ctx.cleanup(typed.cancel);
  await load(); // a 403 here is the page's answer (the router shows it)
  input.focus();
}

const COLUMNS = [
  { id: "customer", value: (c) => h("a", { class: "customer-link", href: `#/customers/${encodeURIComponent(c.id)}` }, h("span", { class: "customer-name" }, c.name || c.id), c.name ? h("code", { class: "small" }, c.id) : null) },
  { id: "email", value: (c) => c.email || "—" },
  { id: "stage", sort: "stage", value: (c) => stageName(c.stage) },
  { id: "points", sort: "points", class: "num", value: (c) => numberFormat.format(Number(c.points) || 0) },
  { id: "last_activity", sort: "last_activity", value: (c) => h("time", { datetime: c.last_activity_at, title: fullDate.format(new Date(c.last_activity_at)) }, sinceNow(c.last_activity_at)) },
];

function customersTable(ctx, customers, sortBy) {
  if (!customers.length) return h("p", { class: "empty" }, STRINGS.none);
  const heading = (column) => {
    const label = STRINGS.columns[column.id];
    if (!column.sort) return h("th", { scope: "col", class: column.class }, label);
    const current = listed.sort === column.sort;
    return h(
      "th",
      { scope: "col", class: column.class, "aria-sort": current ? (listed.order === "desc" ? "descending" : "ascending") : "none" },
      h("button", { type: "button", class: "sort", dataset: { sort: column.sort }, title: STRINGS.sortBy(label), onclick: () => sortBy(column.sort) }, label, h("span", { class: "sort-arrow", "aria-hidden": "true" }, current ? (listed.order === "desc" ? " ↓" : " ↑") : "")),
    );
  };
  const row = (customer) => {
    const open = (event) => {
      if (!event.target.closest("a")) ctx.navigate(`#/customers/${encodeURIComponent(customer.id)}`);
    };
    return h("tr", { class: "customer-row", dataset: { id: customer.id }, onclick: open }, COLUMNS.map((column) => h("td", { class: column.class }, column.value(customer))));
  };
  return h("div", { class: "table-wrap" }, h("table", { class: "data customers-table", id: "customer-list" }, h("thead", null, h("tr", null, COLUMNS.map(heading))), h("tbody", null, customers.map(row))));
}

function pager(data, turnTo) {
  if (data.pages <= 1) return null;
  return h(
    "nav",
    { class: "pager", "aria-label": STRINGS.title },
    h("button", { type: "button", class: "ghost small", id: "customers-previous", disabled: data.page <= 1, onclick: () => turnTo(data.page - 1) }, STRINGS.previous),
    h("span", { class: "pager-where" }, STRINGS.page(data.page, data.pages)),
    h("button", { type: "button", class: "ghost small", id: "customers-next", disabled: data.page >= data.pages, onclick: () => turnTo(data.page + 1) }, STRINGS.next),
  );
}

// ---------------------------------------------------------------- one customer (#/customers/<id>)

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
        h("div", null, h("p", { class: "crumbs" }, h("a", { href: "#/customers" }, STRINGS.title), " / ", id), h("h1", { id: "customer-title" }, id)),
        h("div", { class: "page-tools" }, form),
      ),
      body,
    ),
  );

  let summary;
  let names;
  try {
    [summary, names] = await Promise.all([api("GET", `/api/v1/customers/${encodeURIComponent(id)}`), badgeNames()]);
  } catch (err) {
    if (!ctx.alive()) return;
    if (err instanceof ApiError && err.status === 404) {
      replace(body, h("div", { class: "notice not-found", role: "alert" }, STRINGS.noSuchCustomer(id)));
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
        h("header", { class: "card-head" }, h("h2", null, STRINGS.badges)),
        badgesView(summary.badges, names),
        h("header", { class: "card-head spaced" }, h("h2", null, STRINGS.coupons)),
        couponsBox,
      ),
      fusionCard(summary),
    ),
    h("section", { class: "card" }, h("header", { class: "card-head" }, h("div", null, h("h2", null, STRINGS.ledger), h("p", { class: "card-sub" }, STRINGS.ledgerSub))), ledgerBox),
    // left out for a role that may not read it (a marketer), rather than filled with a 403
    ctx.can("decisions")
      ? h(
          "section",
          { class: "card", id: "decision-log" },
          h("header", { class: "card-head" }, h("div", null, h("h2", null, STRINGS.decisions), h("p", { class: "card-sub" }, STRINGS.decisionsSub))),
          decisionsBox,
        )
      : null,
  );

  const path = `/api/v1/customers/${encodeURIComponent(id)}`;
  await Promise.all([
    block(ctx, ledgerBox, `${path}/ledger`, (data) => ledgerTable(data.entries || [])),
    block(ctx, couponsBox, `${path}/coupons`, (data) => couponsTable(data.coupons || []), () => couponsTable(summary.coupons || [])),
    ctx.can("decisions") ? block(ctx, decisionsBox, `${path}/decisions`, (data) => decisionsView(data.decisions || [])) : null,
  ]);
}

/** Loads one block; a 403 shows the notice in it. */
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
    [STRINGS.facts.id, h("code", null, s.id || id)],
    [STRINGS.facts.language, s.language ? String(s.language).toUpperCase() : "—"],
    [STRINGS.facts.timezone, s.timezone || "—"],
    [STRINGS.facts.news, s.consent === true ? pill(STRINGS.optedIn, "ok") : s.consent === false ? pill(STRINGS.notOptedIn, "muted") : "—"],
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
    h("div", { class: "kpi card", id: "customer-points" }, h("span", { class: "kpi-label" }, STRINGS.points), h("span", { class: "kpi-value" }, num(s.points)), h("span", { class: "kpi-note" }, STRINGS.worth(euros((Number(s.points) || 0) * 0.01)))),
    h("div", { class: "kpi card", id: "customer-fusion" }, h("span", { class: "kpi-label" }, STRINGS.fusionScore), h("span", { class: "kpi-value" }, score === null ? "—" : oneDecimal.format(score)), gauge),
    h("div", { class: "kpi card", id: "customer-stage" }, h("span", { class: "kpi-label" }, STRINGS.stage), h("span", { class: "kpi-value kpi-text" }, s.stage ? stageName(s.stage) : "—"), h("span", { class: "kpi-note" }, stageNote(s.stage))),
    h("div", { class: "kpi card", id: "customer-badges" }, h("span", { class: "kpi-label" }, STRINGS.badges), h("span", { class: "kpi-value" }, num(badges.length)), h("span", { class: "kpi-note" }, STRINGS.earnedOnce)),
  );
}

function stageNote(stage) {
  const i = STAGES.indexOf(stage);
  if (i < 0) return "";
  if (i === STAGES.length - 1) return STRINGS.topOfLadder;
  return STRINGS.nextStage(stageName(STAGES[i + 1]));
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
      h("span", { class: "step-label" }, stageName(name)),
    ),
  );
  return h(
    "section",
    { class: "card" },
    h("header", { class: "card-head" }, h("div", null, h("h2", null, STRINGS.onTheLadder), h("p", { class: "card-sub" }, current < 0 ? STRINGS.unknownStage(stage) : STRINGS.stageOf(current + 1, STAGES.length)))),
    h("ol", { class: "ladder-steps", id: "customer-ladder", "aria-label": STRINGS.ladderLabel }, steps),
  );
}

function badgesView(badges, names) {
  const list = Array.isArray(badges) ? badges : [];
  if (!list.length) return h("p", { class: "empty" }, STRINGS.noBadge);
  return h("ul", { class: "chips badges" }, list.map((b) => h("li", { class: "chip badge-chip" }, h("span", { class: "badge-star", "aria-hidden": "true" }, "★"), badgeName(names, b))));
}

function fusionCard(s) {
  const rows = Array.isArray(s.fusion_explanation) ? s.fusion_explanation : [];
  return h(
    "section",
    { class: "card", id: "fusion-explanation" },
    h("header", { class: "card-head" }, h("div", null, h("h2", null, STRINGS.whyScore), h("p", { class: "card-sub" }, STRINGS.whyScoreSub))),
    table(
      [
        { label: STRINGS.event, value: (r) => STRINGS.eventTypes[r.event_type] || humanize(r.event_type) },
        { label: STRINGS.move, class: "num", value: (r) => h("span", { class: Number(r.delta) > 0 ? "good" : Number(r.delta) < 0 ? "bad" : "" }, `${Number(r.delta) > 0 ? "+" : ""}${r.delta}`) },
        { label: STRINGS.weightNow, class: "num", value: (r) => (r.weight_now === undefined ? "—" : twoDecimals.format(Number(r.weight_now))) },
        { label: STRINGS.eventId, value: (r) => h("code", { class: "small" }, r.event_id) },
      ],
      rows,
      { empty: STRINGS.neutral, class: "compact" },
    ),
  );
}

function couponsTable(coupons) {
  return table(
    [
      { label: STRINGS.code, value: (c) => h("code", null, c.code) },
      { label: STRINGS.value, value: (c) => (c.kind === "percent" ? percent(Number(c.value) / 100, 0) : euros(c.value)) },
      { label: STRINGS.minBasket, class: "num", value: (c) => euros(c.min_basket) },
      { label: STRINGS.expires, value: (c) => timeEl(c.expires_at) },
      { label: STRINGS.state, value: (c) => couponState(c) },
    ],
    coupons,
    { empty: STRINGS.noCoupon, class: "compact" },
  );
}

function couponState(c) {
  if (c.redeemed_at) return pill(STRINGS.redeemed, "done");
  if (c.expires_at && new Date(c.expires_at).getTime() < Date.now()) return pill(STRINGS.expired, "archived");
  return pill(STRINGS.valid, "running");
}

function ledgerTable(entries) {
  return table(
    [
      { label: STRINGS.when, value: (e) => timeEl(e.created_at) },
      { label: STRINGS.points.toLowerCase(), class: "num", value: (e) => h("span", { class: Number(e.points) > 0 ? "good" : Number(e.points) < 0 ? "bad" : "" }, `${Number(e.points) > 0 ? "+" : ""}${num(e.points)}`) },
      { label: STRINGS.kind, value: (e) => pill(STRINGS.kinds[e.kind || "award"] || humanize(e.kind || "award"), e.kind) },
      { label: STRINGS.rule, value: (e) => h("code", null, e.rule_id) },
      { label: STRINGS.event, value: (e) => h("code", { class: "small" }, e.event_id) },
      { label: STRINGS.reverses, value: (e) => (e.reverses_entry_id ? `#${e.reverses_entry_id}` : "") },
    ],
    entries,
    { empty: STRINGS.noPoints, class: "compact" },
  );
}

function decisionsView(decisions) {
  if (!decisions.length) return h("p", { class: "empty" }, STRINGS.noDecision);
  const outcomes = [...new Set(decisions.map((d) => d.outcome))].sort();
  const filter = h(
    "select",
    { id: "decision-filter", name: "outcome" },
    h("option", { value: "" }, STRINGS.allOutcomes(num(decisions.length))),
    outcomes.map((o) => h("option", { value: o }, `${STRINGS.outcomes[o] || humanize(o)} (${num(decisions.filter((d) => d.outcome === o).length)})`)),
  );
  const holder = h("div", null);
  const draw = () => {
    const rows = filter.value ? decisions.filter((d) => d.outcome === filter.value) : decisions;
    replace(
      holder,
      table(
        [
          { label: STRINGS.when, value: (d) => timeEl(d.created_at) },
          { label: STRINGS.event, value: (d) => h("code", { class: "small" }, d.event_id) },
          { label: STRINGS.rule, value: (d) => h("code", null, d.rule_id) },
          { label: STRINGS.outcome, value: (d) => pill(STRINGS.outcomes[d.outcome] || humanize(d.outcome), d.outcome) },
          { label: STRINGS.why, value: (d) => d.reason },
          { label: STRINGS.rules, class: "num", value: (d) => (d.rules_version ? `v${d.rules_version}` : "") },
        ],
        rows,
        { class: "compact decisions" },
      ),
    );
  };
  filter.addEventListener("change", draw);
  draw();
  return h("div", null, h("div", { class: "inline-form" }, h("label", { for: "decision-filter", class: "inline-label" }, STRINGS.show), filter), holder);
}
