// Handoffs (#/handoffs): the conversations whose customer asked for a person, how long each
// has waited and everything said since they asked (the server reads it from Rasa's tracker
// store). The page polls the API every REFRESH_MS, so new requests and new messages appear
// without a reload; Resume hands a conversation back to the assistant once confirmed.
// watchOpenCount keeps the navigation's count. Every word staff read here is in STRINGS,
// and numbers, durations and times are formatted for core's LOCALE (for the translation).

import { ApiError, LOCALE, api, confirmDialog, counted, describe, h, localized, replace, toast } from "./core.js";

const REFRESH_MS = 5000;
const COUNT_REFRESH_MS = 15000;


export const STRINGS = localized({
  fr: {
    title: "Relais humains",
    subtitle: "Les clients qui ont demandé à parler à quelqu’un. Répondez-leur avec l’outil de leur canal, puis rendez la conversation à l’assistant.",
    live: (seconds) => `Les nouvelles demandes et les nouveaux messages s’affichent d’eux-mêmes (vérifiés toutes les ${seconds}\u00a0secondes).`,
    empty: "Personne n’attend de réponse humaine pour le moment.",
    waiting: (duration) => `en attente depuis ${duration}`,
    anonymous: "visiteur anonyme",
    channel: "Canal",
    language: "Langue",
    customer: "Client",
    assistant: "Assistant",
    buttons: "Boutons proposés\u00a0:",
    unreadable: "La conversation ne peut pas être lue pour le moment. Ce que le client avait écrit en faisant sa demande\u00a0:",
    nothingSaid: "Rien n’a été dit depuis la demande.",
    newRequest: "nouveau",
    resume: "Reprendre",
    confirmTitle: "Rendre la conversation à l’assistant\u00a0?",
    confirmMessage: (who) => `L’assistant répondra au prochain message de ${who}. Faites-le une fois que vous en avez terminé.`,
    confirmYes: "Rendre à l’assistant",
    cancel: "Annuler",
    resumed: (who) => `La conversation avec ${who} est de nouveau confiée à l’assistant.`,
    taken: "Un collègue a déjà rendu cette conversation à l’assistant.",
    refreshFailed: (reason) => `Actualisation impossible\u00a0: ${reason}. Nouvel essai…`,
    count: (n) => `${counted(n, "client attend", "clients attendent")} une personne`,
  },
  en: {
    title: "Handoffs",
    subtitle: "Customers who asked for a person. Answer them on their channel's own tool, then hand the conversation back to the assistant.",
    live: (seconds) => `New requests and messages appear by themselves (checked every ${seconds} seconds).`,
    empty: "Nobody is waiting for a person right now.",
    waiting: (duration) => `waiting for ${duration}`,
    anonymous: "anonymous visitor",
    channel: "Channel",
    language: "Language",
    customer: "Customer",
    assistant: "Assistant",
    buttons: "Buttons offered:",
    unreadable: "The conversation cannot be read right now. What the customer had written when they asked:",
    nothingSaid: "Nothing said since the request.",
    newRequest: "new",
    resume: "Resume",
    confirmTitle: "Hand the conversation back?",
    confirmMessage: (who) => `The assistant will answer ${who}'s next message. Do it once you have finished with them.`,
    confirmYes: "Hand back to the assistant",
    cancel: "Cancel",
    resumed: (who) => `The conversation with ${who} is back with the assistant.`,
    taken: "Someone else handed this conversation back already.",
    refreshFailed: (reason) => `Could not refresh: ${reason}. Trying again…`,
    count: (n) => `${counted(n, "customer", "customers")} waiting for a person`,
  },
});

// ---------------------------------------------------------------- formatting (CLDR via Intl)

const UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
const timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: "numeric", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" });
const numberFormat = new Intl.NumberFormat(LOCALE);

/** 300 → "5 minutes", 3900 → "1 hour, 5 minutes": the two largest units, seconds only under a minute. */
export function duration(seconds) {
  let rest = Math.max(0, Math.floor(Number(seconds) || 0));
  const parts = [];
  for (const [unit, size] of UNITS) {
    if (parts.length === 2 || (unit === "second" && parts.length)) break;
    const value = Math.floor(rest / size);
    rest -= value * size;
    if (value > 0 || unit === "second") {
      parts.push(new Intl.NumberFormat(LOCALE, { style: "unit", unit, unitDisplay: "long" }).format(value));
    } else if (parts.length) break;
  }
  return new Intl.ListFormat(LOCALE, { style: "long", type: "unit" }).format(parts);
}

function clock(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const today = new Date().toDateString() === at.toDateString();
  return (today ? timeFormat : dateTimeFormat).format(at);
}

function who(handoff) {
  const id = String(handoff.customer_id || "");
  return id.startsWith("~") ? STRINGS.anonymous : id;
}

// ---------------------------------------------------------------- the page

export async function render(ctx) {
  const list = h("div", { id: "handoff-list", class: "handoff-list", "aria-live": "polite" });
  const status = h("p", { id: "handoff-status", class: "hint", role: "status", hidden: true });
  const count = h("span", { id: "handoff-count", class: "pill pill-count" });
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-handoffs" },
      h(
        "div",
        { class: "page-head" },
        h("div", null, h("h1", null, STRINGS.title, " ", count), h("p", { class: "subtitle" }, STRINGS.subtitle), h("p", { class: "hint" }, STRINGS.live(REFRESH_MS / 1000))),
      ),
      status,
      list,
    ),
  );
  const cards = new Map(); // handoff id → its card
  const shown = (handoffs, fresh) => {
    if (!ctx.alive()) return;
    status.hidden = true;
    showHandoffs(ctx, list, cards, handoffs, fresh);
    count.textContent = numberFormat.format(cards.size);
    count.title = STRINGS.count(cards.size);
    ctx.navCount("handoffs", cards.size);
  };
  // the first answer decides whether the page is allowed at all (a 403 replaces the page)
  const first = await api("GET", "/api/v1/handoffs?status=open");
  shown(first.handoffs || [], false);
  const refresh = async () => {
    if (document.hidden || !ctx.alive()) return;
    try {
      const data = await api("GET", "/api/v1/handoffs?status=open");
      shown(data.handoffs || [], true);
    } catch (err) {
      if (!ctx.alive() || (err instanceof ApiError && err.status === 401)) return;
      status.textContent = STRINGS.refreshFailed(describe(err));
      status.hidden = false;
    }
  };
  const timer = setInterval(refresh, REFRESH_MS);
  ctx.cleanup(() => clearInterval(timer));
  ctx.handoffsRefresh = refresh;
}

function showHandoffs(ctx, list, cards, handoffs, fresh) {
  const open = new Set(handoffs.map((handoff) => String(handoff.id)));
  for (const [id, card] of cards) {
    if (!open.has(id)) {
      card.remove();
      cards.delete(id);
    }
  }
  for (const handoff of handoffs) {
    const id = String(handoff.id);
    let card = cards.get(id);
    if (!card) {
      card = handoffCard(ctx, handoff, () => {
        card.remove();
        cards.delete(id);
        if (ctx.handoffsRefresh) ctx.handoffsRefresh();
      });
      if (fresh) card.classList.add("is-new");
      cards.set(id, card);
      list.append(card); // oldest first, as the API lists them
    }
    updateCard(card, handoff);
  }
  const empty = list.querySelector(".empty-state");
  if (!cards.size && !empty) list.append(h("div", { class: "empty-state" }, h("p", { class: "empty" }, STRINGS.empty)));
  if (cards.size && empty) empty.remove();
}

function handoffCard(ctx, handoff, gone) {
  const name = who(handoff);
  const customer = String(handoff.customer_id || "").startsWith("~")
    ? h("span", { class: "handoff-who" }, name)
    : h("a", { class: "handoff-who", href: `#/customers/${encodeURIComponent(handoff.customer_id)}` }, name);
  const resume = h("button", { type: "button", class: "primary small handoff-resume" }, STRINGS.resume);
  resume.addEventListener("click", () => handBack(ctx, handoff, name, resume, gone));
  return h(
    "article",
    { class: "card handoff", dataset: { id: String(handoff.id), customer: String(handoff.customer_id || "") } },
    h(
      "header",
      { class: "handoff-head" },
      h("div", { class: "handoff-title" }, customer, h("span", { class: "pill pill-new handoff-new" }, STRINGS.newRequest)),
      h(
        "dl",
        { class: "handoff-facts" },
        h("div", null, h("dt", null, STRINGS.channel), h("dd", null, handoff.channel || "—")),
        h("div", null, h("dt", null, STRINGS.language), h("dd", null, handoff.language ? String(handoff.language).toUpperCase() : "—")),
      ),
      h("p", { class: "handoff-waiting" }),
    ),
    h("ol", { class: "transcript", "aria-label": `${STRINGS.title}: ${name}` }),
    h("div", { class: "handoff-actions" }, resume),
  );
}

function updateCard(card, handoff) {
  const waiting = card.querySelector(".handoff-waiting");
  waiting.textContent = STRINGS.waiting(duration(handoff.waiting_s));
  waiting.title = dateTimeFormat.format(new Date(handoff.requested_at));
  const transcript = card.querySelector(".transcript");
  const said = Array.isArray(handoff.conversation) ? handoff.conversation : null;
  const signature = said ? `${said.length}:${said.length ? said[said.length - 1].at : ""}` : "unreadable";
  if (transcript.dataset.signature === signature) return;
  transcript.dataset.signature = signature;
  const atEnd = transcript.scrollTop + transcript.clientHeight >= transcript.scrollHeight - 4;
  if (said === null) {
    replace(transcript, h("li", { class: "said said-notice" }, STRINGS.unreadable), (handoff.recent_messages || []).map((text) => h("li", { class: "said by-customer" }, h("p", { class: "said-text" }, text))));
  } else if (!said.length) {
    replace(transcript, h("li", { class: "said said-notice" }, STRINGS.nothingSaid));
  } else {
    replace(transcript, said.map(message));
  }
  if (atEnd || !transcript.dataset.scrolled) {
    transcript.scrollTop = transcript.scrollHeight;
    transcript.dataset.scrolled = "1";
  }
}

function message(said) {
  const customer = said.by === "customer";
  const buttons = Array.isArray(said.buttons) ? said.buttons.map((b) => b.title).filter(Boolean) : [];
  return h(
    "li",
    { class: `said ${customer ? "by-customer" : "by-assistant"}` },
    h("span", { class: "said-who" }, customer ? STRINGS.customer : STRINGS.assistant),
    h("time", { class: "said-at", datetime: said.at }, clock(said.at)),
    said.text ? h("p", { class: "said-text" }, said.text) : null,
    buttons.length ? h("p", { class: "said-buttons" }, `${STRINGS.buttons} ${buttons.join(" · ")}`) : null,
  );
}

async function handBack(ctx, handoff, name, button, gone) {
  const yes = await confirmDialog(STRINGS.confirmMessage(name), { title: STRINGS.confirmTitle, yes: STRINGS.confirmYes, no: STRINGS.cancel });
  if (!yes || !ctx.alive()) return;
  button.disabled = true;
  try {
    await api("POST", `/api/v1/handoffs/${encodeURIComponent(handoff.id)}/resume`);
    toast(STRINGS.resumed(name), "ok");
    gone();
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      toast(STRINGS.taken, "info");
      gone();
    } else {
      toast(describe(err), "error");
      button.disabled = false;
    }
  }
}

// ---------------------------------------------------------------- the navigation's count

/** Calls onCount(n, label) now and every COUNT_REFRESH_MS; returns a function that stops. */
export function watchOpenCount(onCount) {
  const check = async () => {
    if (document.hidden) return;
    try {
      const data = await api("GET", "/api/v1/handoffs/count");
      onCount(Number(data.open) || 0);
    } catch (_) {
      /* the next check tries again; a 401 has signed the console out */
    }
  };
  check();
  const timer = setInterval(check, COUNT_REFRESH_MS);
  return () => clearInterval(timer);
}

export function countLabel(n) {
  return STRINGS.count(n);
}

export function countText(n) {
  return numberFormat.format(n);
}
