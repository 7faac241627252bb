// Fusion admin console: shared helpers (DOM building, API calls, formatting, dialogs).
// Everything is built with createElement/textContent: no HTML string ever holds data.

export const TOKEN_KEY = "fusion.token";
/** The staff member's language choice, kept in this browser (localStorage) across sign-ins. */
export const LANGUAGE_KEY = "fusion.language";
export const LANGUAGES = ["fr", "en"];

function chosenLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(LANGUAGE_KEY);
  } catch (_) {
    /* storage refused: the brand's default */
  }
  if (LANGUAGES.includes(stored)) return stored;
  const brand = document.documentElement.dataset.defaultLanguage; // FUSION_DEFAULT_LANGUAGE
  return LANGUAGES.includes(brand) ? brand : "fr";
}

// The language of the console's words ("fr" or "en": the staff member's choice, else the
// brand's default) and the locale of its numbers, dates, money and durations (CLDR via Intl).
export const LANGUAGE = chosenLanguage();
export const LOCALE = LANGUAGE === "fr" ? "fr-FR" : "en-GB";
document.documentElement.lang = LANGUAGE;

/** Remembers the staff member's choice and reloads the console in it (every page, its
 * words and its formats are built for one language). */
export function chooseLanguage(language) {
  if (!LANGUAGES.includes(language) || language === LANGUAGE) return;
  try {
    localStorage.setItem(LANGUAGE_KEY, language);
  } catch (_) {
    return;
  }
  location.reload();
}

/** A page's words in both languages, read as one object: localized({fr: {...}, en: {...}}).x
 * is the word in the console's language (the English one when French lacks it). */
export function localized(table) {
  return new Proxy(
    {},
    {
      get: (_, key) => {
        const own = table[LANGUAGE] || {};
        return key in own ? own[key] : table.en[key];
      },
      has: (_, key) => key in (table[LANGUAGE] || {}) || key in table.en,
    },
  );
}

// core's own words
const WORDS = localized({
  fr: {
    noData: "Pas encore de données",
    loading: "Chargement…",
    nothing: "Rien à afficher",
    future: "dans le futur",
    notAllowed: "Non autorisé. ",
    roleCannot: "votre rôle ne permet pas cette action",
    invalidField: "champ invalide",
    invalid: "invalide",
    problems: (n) => counted(n, "problème", "problèmes"),
    notFound: "Introuvable",
    notFoundWhat: (what) => `Introuvable\u00a0: ${what}`,
    unreachable: "serveur injoignable",
    confirmTitle: "Confirmation",
    confirm: "Confirmer",
    cancel: "Annuler",
    quoted: (text) => `«\u00a0${text}\u00a0»`,
    colon: "\u00a0: ",
    pts: "pts",
  },
  en: {
    noData: "No data yet",
    loading: "Loading…",
    nothing: "Nothing to show",
    future: "in the future",
    notAllowed: "Not allowed. ",
    roleCannot: "your role cannot do this",
    invalidField: "invalid field",
    invalid: "invalid",
    problems: (n) => counted(n, "problem", "problems"),
    notFound: "Not found",
    notFoundWhat: (what) => `Not found: ${what}`,
    unreachable: "cannot reach the server",
    confirmTitle: "Please confirm",
    confirm: "Confirm",
    cancel: "Cancel",
    quoted: (text) => `“${text}”`,
    colon: ": ",
    pts: "pts",
  },
});
export const COLON = WORDS.colon;
export const STAGES = ["need", "choice", "relation", "attention", "adherence", "contribution", "flow"];

// ---------------------------------------------------------------- DOM

/** h("div", {class: "card", onclick: fn, dataset: {id: 1}}, "text", childNode, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  let initial;
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "value") initial = value; // set once the children (options) are in
      else if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key === "style") Object.assign(el.style, value);
      else if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2), value);
      } else if (key in el && typeof value !== "string" && key !== "list") el[key] = value;
      else if (value === true) el.setAttribute(key, "");
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  if (initial !== undefined) el.value = initial;
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let uid = 0;
export function newId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form field: <div class="field"><label>…</label>control<p class="hint"/><p class="field-error"/></div> */
export function field(label, control, options = {}) {
  if (!control.id) control.id = newId("f");
  const error = h("p", { class: "field-error", id: `${control.id}-error`, role: "alert" });
  const describedBy = [error.id];
  let hint = null;
  if (options.hint) {
    hint = h("p", { class: "hint", id: `${control.id}-hint` }, options.hint);
    describedBy.push(hint.id);
  }
  control.setAttribute("aria-describedby", describedBy.join(" "));
  const wrapper = h(
    "div",
    { class: `field${options.class ? " " + options.class : ""}` },
    h("label", { for: control.id }, label),
    control,
    hint,
    error,
  );
  if (options.name) wrapper.dataset.field = options.name;
  return wrapper;
}

export function card(title, ...children) {
  return h(
    "section",
    { class: "card" },
    title ? h("header", { class: "card-head" }, typeof title === "string" ? h("h2", { text: title }) : title) : null,
    ...children,
  );
}

export function pill(text, kind) {
  return h("span", { class: `pill pill-${String(kind || text).replace(/[^a-z0-9_-]/gi, "_")}` }, text);
}

export function empty(text = WORDS.noData) {
  return h("p", { class: "empty" }, text);
}

export function spinner(text = WORDS.loading) {
  return h("p", { class: "loading", role: "status" }, text);
}

/** A table from columns [{label, value: row => node|text, class}] and rows. */
export function table(columns, rows, options = {}) {
  if (!rows.length) return empty(options.empty || WORDS.nothing);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: `data${options.class ? " " + options.class : ""}` },
      options.caption ? h("caption", { class: "sr-only" }, options.caption) : null,
      h("thead", null, h("tr", null, columns.map((c) => h("th", { scope: "col", class: c.class }, c.label)))),
      h(
        "tbody",
        null,
        rows.map((row) =>
          h(
            "tr",
            null,
            columns.map((c) => {
              const value = c.value(row);
              return h("td", { class: c.class }, value === null || value === undefined || value === "" ? "—" : value);
            }),
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- formatting

const numberFormat = new Intl.NumberFormat(LOCALE);
const moneyFormat = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "EUR" });
const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" });
const dateFormat = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short" });
const relativeFormat = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto", style: "short" });

const pluralRules = new Intl.PluralRules(LOCALE);

/** ``n`` written for LOCALE and the noun in the form CLDR's plural rule gives it (French:
 * 0 and 1 take the singular; English: 1 only): counted(2, "vote", "votes") → "2 votes". */
export function counted(n, one, other) {
  const space = LANGUAGE === "fr" ? "\u00a0" : " ";
  return `${num(n)}${space}${pluralRules.select(Number(n)) === "one" ? one : other}`;
}

export function num(value) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? numberFormat.format(n) : String(value);
}

/** An amount in euros, the locale's way ("1 234,50 €", "€1,234.50"). */
export function euros(value) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return moneyFormat.format(n);
}

/** A rate given as a fraction (0.123) → "12.3%" / "12,3 %". */
export function percent(value, digits = 1) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return "—";
  return new Intl.NumberFormat(LOCALE, { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

/** A difference of two fractions → "+2.5 pts" / "+2,5 pts". */
export function points(value) {
  if (value === null || value === undefined) return "—";
  const n = Number(value) * 100;
  if (!Number.isFinite(n)) return "—";
  const digits = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "exceptZero" });
  return `${digits.format(n)}\u00a0${WORDS.pts}`;
}

export function signed(n, formatter = num) {
  const v = Number(n);
  if (!Number.isFinite(v)) return "—";
  if (v === 0) return formatter(0);
  return `${v > 0 ? "+" : "−"}${formatter(Math.abs(v))}`;
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return dateTimeFormat.format(d);
}

export function day(iso) {
  if (!iso) return "";
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return dateFormat.format(d);
}

export function ago(iso) {
  if (!iso) return "";
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return "";
  const s = Math.round((Date.now() - then) / 1000);
  if (s < 0) return WORDS.future;
  if (s < 60) return relativeFormat.format(0, "second");
  if (s < 3600) return relativeFormat.format(-Math.floor(s / 60), "minute");
  if (s < 86400) return relativeFormat.format(-Math.floor(s / 3600), "hour");
  if (s < 86400 * 30) return relativeFormat.format(-Math.floor(s / 86400), "day");
  return when(iso);
}

/** <time> with the full date in its title. */
export function timeEl(iso, relative = false) {
  if (!iso) return "—";
  return h("time", { datetime: iso, title: when(iso) }, relative ? ago(iso) : when(iso));
}

export function humanize(key) {
  return String(key).replace(/_/g, " ");
}

const STAGE_NAMES = localized({
  fr: { need: "besoin", choice: "choix", relation: "relation", attention: "attention", adherence: "adhésion", contribution: "contribution", flow: "flow" },
  en: { need: "need", choice: "choice", relation: "relation", attention: "attention", adherence: "adherence", contribution: "contribution", flow: "flow" },
});

/** A ladder stage by its name in the console's language. */
export function stageName(stage) {
  return STAGE_NAMES[stage] || humanize(stage);
}

let badgeNamesAsked = null;
/** The badges of the rules in force by their names ({id: {fr, en}}), asked once per visit;
 * empty when the server cannot say (the page then shows the ids, humanised). */
export function badgeNames() {
  if (!badgeNamesAsked) {
    badgeNamesAsked = api("GET", "/api/v1/rules/badges")
      .then((data) => (data && data.badges) || {})
      .catch(() => {
        badgeNamesAsked = null;
        return {};
      });
  }
  return badgeNamesAsked;
}

/** A badge by its name in the console's language (from badgeNames()). */
export function badgeName(names, id) {
  const known = names && names[id];
  return (known && (known[LANGUAGE] || known.en)) || humanize(id);
}

// ---------------------------------------------------------------- API

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.error || body.reason)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

let unauthorized = () => {};
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * api("GET", "/api/v1/me"); api("POST", path, {json: {...}}); api("POST", path, {text: "yaml"}).
 * Resolves to the JSON body; rejects with ApiError (status 0 when the server is unreachable).
 * A 401 signs the console out ("unknown token") unless options.noSignOut.
 */
export async function api(method, path, options = {}) {
  const headers = { Accept: "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.text !== undefined) {
    headers["Content-Type"] = "text/plain; charset=utf-8";
    body = options.text;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin", signal: options.signal });
  } catch (exc) {
    if (exc && exc.name === "AbortError") throw exc;
    throw new ApiError(0, { error: WORDS.unreachable });
  }
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
  } else {
    const text = await response.text().catch(() => "");
    data = response.ok ? { text } : { error: text.trim().slice(0, 300) || response.statusText || `HTTP ${response.status}` };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !options.noSignOut) unauthorized(error);
    throw error;
  }
  return data;
}

/** The notice shown instead of (a part of) a page when the API says no. */
export function errorNotice(err) {
  if (err instanceof ApiError && err.status === 403) {
    return h(
      "div",
      { class: "forbidden notice", role: "alert" },
      h("strong", null, WORDS.notAllowed),
      h("span", { class: "forbidden-text" }, err.body.error || WORDS.roleCannot),
    );
  }
  const text = describe(err);
  return h("div", { class: "notice notice-error", role: "alert" }, text);
}

export function describe(err) {
  if (err instanceof ApiError) {
    const b = err.body || {};
    if (b.field !== undefined && b.reason) return `${b.error || WORDS.invalidField}${b.field ? ` ${WORDS.quoted(b.field)}` : ""}${WORDS.colon}${b.reason}`;
    if (Array.isArray(b.problems)) return `${b.error || WORDS.invalid} (${WORDS.problems(b.problems.length)})`;
    if (err.status === 404) return b.error ? WORDS.notFoundWhat(b.error) : WORDS.notFound;
    return b.error || `HTTP ${err.status}`;
  }
  return (err && err.message) || String(err);
}

// ---------------------------------------------------------------- small utilities

export function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  debounced.flush = (...args) => {
    clearTimeout(timer);
    fn(...args);
  };
  return debounced;
}

/** Removes the toasts on navigation (they belong to the page they were raised on), but not
 * one just raised by the action that navigates (saving a new campaign opens its page). */
export function clearToasts() {
  const host = document.getElementById("toasts");
  if (!host) return;
  for (const el of [...host.children]) if (Date.now() - Number(el.dataset.at || 0) > 1000) el.remove();
}

/** A toast in the corner (role=status, polite). */
export function toast(text, kind = "info") {
  const host = document.getElementById("toasts");
  if (!host) return;
  const el = h("div", { class: `toast toast-${kind}`, dataset: { at: String(Date.now()) } }, text);
  host.appendChild(el);
  setTimeout(() => el.classList.add("leaving"), 3800);
  setTimeout(() => el.remove(), 4300);
}

// ---------------------------------------------------------------- confirm dialog

/** In-page confirmation (#confirm, #confirm-yes / #confirm-no); resolves to true or false. */
export function confirmDialog(message, options = {}) {
  const dialog = document.getElementById("confirm");
  const yes = document.getElementById("confirm-yes");
  const no = document.getElementById("confirm-no");
  document.getElementById("confirm-title").textContent = options.title || WORDS.confirmTitle;
  document.getElementById("confirm-message").textContent = message;
  yes.textContent = options.yes || WORDS.confirm;
  no.textContent = options.no || WORDS.cancel;
  yes.classList.toggle("danger", Boolean(options.danger));
  return new Promise((resolve) => {
    const done = (answer) => {
      yes.removeEventListener("click", onYes);
      no.removeEventListener("click", onNo);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    const onCancel = (event) => {
      event.preventDefault();
      done(false);
    };
    yes.addEventListener("click", onYes);
    no.addEventListener("click", onNo);
    dialog.addEventListener("cancel", onCancel);
    if (!dialog.open) dialog.showModal();
    yes.focus();
  });
}
