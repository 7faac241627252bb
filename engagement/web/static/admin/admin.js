// Fusion admin console: sign-in, navigation and hash routing.
// Pages live in their own modules; each exports render(ctx, ...params).

import { LANGUAGE, LANGUAGE_KEY, LANGUAGES, TOKEN_KEY, api, ApiError, chooseLanguage, clear, clearToasts, describe, errorNotice, h, localized, onUnauthorized, replace, spinner } from "./core.js";
import { applyChartTheme } from "./charts.js";
import * as dashboard from "./dashboard.js";
import * as rules from "./rules.js";
import * as moderation from "./moderation.js";
import * as handoffs from "./handoffs.js";
import * as customers from "./customers.js";
import * as campaigns from "./campaigns.js";
import * as audit from "./audit.js";

const PAGES = [
  { id: "dashboard", label: { fr: "Tableau de bord", en: "Dashboard" }, icon: "M3 13h8V3H3v10zm0 8h8v-6H3v6zm10 0h8V11h-8v10zm0-18v6h8V3h-8z" },
  { id: "rules", label: { fr: "Règles de récompense", en: "Reward rules" }, icon: "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm-5.5 15.5L5 14l3.5-3.5 1.4 1.4L7.8 14l2.1 2.1-1.4 1.4zm7 0-1.4-1.4 2.1-2.1-2.1-2.1 1.4-1.4L19 14l-3.5 3.5zM13 9V3.5L18.5 9H13z" },
  { id: "moderation", label: { fr: "Modération", en: "Moderation" }, icon: "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zm-9.3 12L7 10.3l1.4-1.4 2.3 2.3 5-5 1.4 1.4-6.4 6.4z" },
  { id: "handoffs", label: { fr: "Relais humains", en: "Handoffs" }, icon: "M21 6h-2v9H6v2c0 .55.45 1 1 1h11l4 4V7c0-.55-.45-1-1-1zm-4 6V3c0-.55-.45-1-1-1H3c-.55 0-1 .45-1 1v14l4-4h10c.55 0 1-.45 1-1z" },
  { id: "customers", label: { fr: "Clients", en: "Customers" }, icon: "M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm0 2c-2.3 0-7 1.2-7 3.5V19h14v-2.5C15 14.2 10.3 13 8 13zm8 0c-.3 0-.6 0-1 .1 1.2.8 2 2 2 3.4V19h6v-2.5c0-2.3-4.7-3.5-7-3.5z" },
  { id: "campaigns", label: { fr: "Campagnes", en: "Campaigns" }, icon: "M18 11v2h4v-2h-4zm-2 6.6c1 .7 2.2 1.7 3.2 2.4l1.2-1.6c-1-.7-2.2-1.7-3.2-2.4L16 17.6zM20.4 5.6 19.2 4c-1 .7-2.2 1.7-3.2 2.4l1.2 1.6c1-.7 2.2-1.7 3.2-2.4zM4 9a2 2 0 0 0-2 2v2a2 2 0 0 0 2 2h1v4h2v-4h1l5 3V6L8 9H4zm11.5 3c0-1.3-.6-2.5-1.5-3.4v6.7c.9-.8 1.5-2 1.5-3.3z" },
  { id: "audit", label: { fr: "Journal d’audit", en: "Audit log" }, icon: "M13 3a9 9 0 0 0-9 9H1l3.9 3.9.1.1L9 12H6a7 7 0 1 1 2.1 5l-1.4 1.4A9 9 0 1 0 13 3zm-1 5v5l4.3 2.5.7-1.2-3.5-2.1V8H12z" },
];

// Every word of the frame (sign-in, navigation, dialogs) in both languages.
const STRINGS = localized({
  fr: {
    roles: { admin: "Administrateur", community_manager: "Community manager", marketer: "Marketing" },
    title: "Fusion · console d’administration",
    skip: "Aller au contenu",
    console: "Console d’administration",
    token: "Jeton d’accès",
    tokenHint: "Votre jeton de community manager, de marketing ou d’administration. Il n’est gardé que dans cet onglet.",
    signIn: "Se connecter",
    signOut: "Se déconnecter",
    signedInAs: "Connecté en tant que",
    language: "Langue",
    languageNames: { fr: "Français", en: "English" },
    unknownToken: "jeton inconnu",
    cannotSignIn: (why) => `Connexion impossible\u00a0: ${why}`,
    enterToken: "Veuillez saisir votre jeton.",
    signedOut: "Vous êtes déconnecté.",
    noCharts: "Les graphiques ne sont pas disponibles (Chart.js ne s’est pas chargé).",
    notFound: "Page introuvable",
    noSuchPage: "Cette page n’existe pas. ",
    backToDashboard: "Retour au tableau de bord",
    nav: "Navigation principale",
  },
  en: {
    roles: { admin: "Admin", community_manager: "Community manager", marketer: "Marketer" },
    title: "Fusion · admin console",
    skip: "Skip to content",
    console: "Admin console",
    token: "Access token",
    tokenHint: "Your community-manager, marketer or admin bearer token. It is kept for this browser tab only.",
    signIn: "Sign in",
    signOut: "Sign out",
    signedInAs: "Signed in as",
    language: "Language",
    languageNames: { fr: "Français", en: "English" },
    unknownToken: "unknown token",
    cannotSignIn: (why) => `Cannot sign in: ${why}`,
    enterToken: "Please enter your token.",
    signedOut: "You are signed out.",
    noCharts: "Charts are unavailable (Chart.js did not load).",
    notFound: "Page not found",
    noSuchPage: "There is no such page. ",
    backToDashboard: "Back to the dashboard",
    nav: "Main",
  },
});

/** The frame's words in index.html (marked data-words) and the FR / EN switches. */
function translateFrame() {
  document.title = STRINGS.title;
  for (const el of document.querySelectorAll("[data-words]")) el.textContent = STRINGS[el.dataset.words];
  $("nav").setAttribute("aria-label", STRINGS.nav);
  $("role").dataset.signedInAs = STRINGS.signedInAs;
  for (const group of document.querySelectorAll(".language-switch")) {
    group.setAttribute("aria-label", STRINGS.language);
    replace(
      group,
      LANGUAGES.map((language) =>
        h(
          "button",
          {
            type: "button",
            class: "ghost small",
            lang: language,
            title: STRINGS.languageNames[language],
            "aria-label": STRINGS.languageNames[language],
            "aria-pressed": String(language === LANGUAGE),
            dataset: { language },
            onclick: () => chooseLanguage(language),
          },
          language.toUpperCase(),
        ),
      ),
    );
  }
}

const state = { role: null, pages: [], sections: [], seq: 0, ctx: null, stopCount: null };

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- sign-in

function showSignIn(message) {
  leavePage();
  if (state.stopCount) state.stopCount();
  state.stopCount = null;
  state.role = null;
  $("app").hidden = true;
  $("signin-view").hidden = false;
  clear($("main"));
  const box = $("signin-message");
  box.textContent = message || "";
  box.hidden = !message;
  const input = $("signin-token");
  input.value = "";
  input.focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(message);
}

async function start() {
  const tokenValue = sessionStorage.getItem(TOKEN_KEY);
  if (!tokenValue) {
    showSignIn();
    return;
  }
  let me;
  try {
    me = await api("GET", "/api/v1/me", { noSignOut: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      signOut(STRINGS.unknownToken);
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn(STRINGS.cannotSignIn(describe(err)));
    }
    return;
  }
  if (LANGUAGES.includes(me.language) && me.language !== LANGUAGE && !localStorage.getItem(LANGUAGE_KEY)) {
    chooseLanguage(me.language); // the page was served before the brand's default changed
    return;
  }
  state.role = me.role;
  state.pages = Array.isArray(me.pages) ? me.pages : [];
  state.sections = Array.isArray(me.sections) ? me.sections : [];
  buildNav();
  if (state.pages.includes("handoffs")) state.stopCount = handoffs.watchOpenCount((n) => navCount("handoffs", n));
  $("role").textContent = STRINGS.roles[me.role] || me.role || "";
  $("signin-view").hidden = true;
  $("app").hidden = false;
  route();
}

function buildNav() {
  const nav = $("nav");
  clear(nav);
  const list = h("ul", null);
  for (const page of PAGES) {
    if (!state.pages.includes(page.id)) continue;
    list.appendChild(
      h(
        "li",
        null,
        h(
          "a",
          { href: `#/${page.id}`, dataset: { page: page.id } },
          icon(page.icon),
          h("span", { class: "nav-label" }, page.label[LANGUAGE]),
          page.id === "handoffs" ? h("span", { class: "nav-count", id: "nav-count-handoffs", hidden: true }) : null,
        ),
      ),
    );
  }
  nav.appendChild(list);
}

/** The number beside a page's link (the open handoffs), hidden at zero. */
function navCount(page, n) {
  const badge = document.getElementById(`nav-count-${page}`);
  if (!badge) return;
  badge.textContent = handoffs.countText(n);
  badge.title = handoffs.countLabel(n);
  badge.hidden = n === 0;
}

function icon(path) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", path);
  svg.appendChild(p);
  return svg;
}

// ---------------------------------------------------------------- routing

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const parts = raw.split("/").filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch (_) {
      return part;
    }
  });
  return parts.length ? parts : ["dashboard"];
}

function leavePage() {
  clearToasts();
  const ctx = state.ctx;
  state.ctx = null;
  state.seq += 1;
  if (!ctx) return;
  for (const fn of ctx.cleanups.splice(0)) {
    try {
      fn();
    } catch (_) {
      /* a page's cleanup must not break navigation */
    }
  }
  for (const chart of ctx.charts.splice(0)) chart.destroy();
}

function newContext() {
  const seq = state.seq;
  const ctx = {
    main: $("main"),
    role: state.role,
    pages: state.pages,
    /** Whether the role may read a part of a page ("decisions": the customer's decision log). */
    can: (section) => state.sections.includes(section),
    charts: [],
    cleanups: [],
    alive: () => state.seq === seq && state.ctx === ctx,
    chart(canvas, config) {
      if (typeof window.Chart !== "function") {
        canvas.replaceWith(h("p", { class: "empty" }, STRINGS.noCharts));
        return null;
      }
      // one entry animation; later redraws (a resize, the container shown again) are immediate
      const options = (config.options = config.options || {});
      options.animation = {
        duration: 700,
        ...(options.animation || {}),
        onComplete: ({ chart: drawn }) => {
          drawn.options.animation = false;
        },
      };
      const chart = new window.Chart(canvas, config);
      ctx.charts.push(chart);
      return chart;
    },
    cleanup(fn) {
      ctx.cleanups.push(fn);
    },
    navCount,
    navigate(hash) {
      if (location.hash === hash) route();
      else location.hash = hash;
    },
  };
  state.ctx = ctx;
  return ctx;
}

async function route() {
  if (!state.role) return;
  leavePage();
  const parts = parseHash();
  const [page, a, b] = parts;
  highlightNav(page);
  const ctx = newContext();
  const main = replace(ctx.main, spinner());
  let render;
  let params = [];
  switch (page) {
    case "dashboard":
      render = dashboard.render;
      break;
    case "rules":
      render = rules.render;
      break;
    case "moderation":
      render = moderation.render;
      break;
    case "handoffs":
      render = handoffs.render;
      break;
    case "customers":
      render = a ? customers.renderCustomer : customers.renderList;
      params = a ? [a] : [];
      break;
    case "campaigns":
      if (!a) render = campaigns.renderList;
      else if (a === "new") render = campaigns.renderForm;
      else if (b === "results") {
        render = campaigns.renderResults;
        params = [a];
      } else {
        render = campaigns.renderForm;
        params = [a];
      }
      break;
    case "audit":
      render = audit.render;
      break;
    default:
      render = notFound;
  }
  try {
    await render(ctx, ...params);
  } catch (err) {
    if (!ctx.alive()) return;
    if (err instanceof ApiError && err.status === 401) return; // signed out already
    replace(main, h("div", { class: "page" }, h("div", { class: "page-head" }, h("h1", null, titleOf(page))), errorNotice(err)));
  }
}

function titleOf(page) {
  const found = PAGES.find((p) => p.id === page);
  return found ? found.label[LANGUAGE] : STRINGS.notFound;
}

function notFound(ctx) {
  replace(
    ctx.main,
    h(
      "div",
      { class: "page" },
      h("div", { class: "page-head" }, h("h1", null, STRINGS.notFound)),
      h("p", null, STRINGS.noSuchPage, h("a", { href: "#/dashboard" }, STRINGS.backToDashboard)),
    ),
  );
}

function highlightNav(page) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// ---------------------------------------------------------------- wiring

function init() {
  applyChartTheme();
  translateFrame();
  onUnauthorized(() => signOut(STRINGS.unknownToken));
  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("signin-token").value.trim();
    if (!value) {
      const box = $("signin-message");
      box.textContent = STRINGS.enterToken;
      box.hidden = false;
      $("signin-token").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    start();
  });
  $("signout").addEventListener("click", () => signOut(STRINGS.signedOut));
  // the skip link moves the focus without touching the hash (the hash is the router's)
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    const target = $("app").hidden ? $("signin-token") : $("main");
    target.focus();
  });
  window.addEventListener("hashchange", () => {
    route();
    const main = $("main");
    if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  });
  start();
}

init();
