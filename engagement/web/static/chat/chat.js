/* Fusion customer chat: talks to Rasa's socket.io channel (session_persistence: true).
 * Plain ES2020, no build step, no inline code (CSP script-src 'self'). */
(function () {
  "use strict";

  // ---------------------------------------------------------------- settings
  const PLACEHOLDER = "__FUSION_RASA_URL__";
  const SESSION_KEY = "fusion.session";
  const TOKEN_KEY = "fusion.token"; // the shop's customer token, for this tab only
  const TRANSCRIPT_PREFIX = "fusion.transcript.";
  const CLEARED_PREFIX = "fusion.cleared."; // when "new conversation" was pressed, per conversation
  const HISTORY_URL = "/api/v1/chat/history"; // a signed-in customer's conversation, on any device
  const MAX_STORED = 100;
  const TYPING_TIMEOUT_MS = 15000;
  const MAX_ID_LENGTH = 128;

  const STRINGS = {
    fr: {
      title: "Assistant Fusion",
      placeholder: "Écrivez votre message…",
      inputLabel: "Votre message",
      send: "Envoyer",
      connecting: "Connexion…",
      online: "En ligne",
      offline: "Hors ligne — reconnexion…",
      newConversation: "Nouvelle conversation",
      away: "Pendant votre absence",
      typing: "L’assistant écrit…",
      language: "Langue",
      conversation: "Conversation",
      you: "Vous :",
      assistant: "Assistant :",
      choices: "Réponses proposées",
      tooLong: "Ce message est trop long (maximum {n} caractères).",
      failed: "Le message n’a pas pu être envoyé.",
      link: "Ouvrir le lien",
      empty: "Bonjour ! Posez votre question : l’assistant vous répond ici.",
      signedOut: "Votre session a expiré : rechargez la page de la boutique pour retrouver votre compte.",
      tooFast: "Vous écrivez très vite : patientez une minute avant le prochain message.",
    },
    en: {
      title: "Fusion assistant",
      placeholder: "Type your message…",
      inputLabel: "Your message",
      send: "Send",
      connecting: "Connecting…",
      online: "Online",
      offline: "Offline — reconnecting…",
      newConversation: "New conversation",
      away: "While you were away",
      typing: "The assistant is typing…",
      language: "Language",
      conversation: "Conversation",
      you: "You:",
      assistant: "Assistant:",
      choices: "Suggested replies",
      tooLong: "This message is too long (at most {n} characters).",
      failed: "The message could not be sent.",
      link: "Open the link",
      empty: "Hello! Ask your question: the assistant answers here.",
      signedOut: "Your session has expired: reload the shop's page to get your account back.",
      tooFast: "You're writing very fast: wait a minute before the next message.",
    },
  };

  // ---------------------------------------------------------------- elements
  const $ = (selector) => document.querySelector(selector);
  const html = document.documentElement;
  const scroller = $("#scroll");
  const log = $("#messages");
  const typing = $("#typing");
  const statusEl = $("#status");
  const statusText = $("#status-text");
  const composer = $("#composer");
  const input = composer.querySelector("input[name=message]");
  const langButtons = { fr: $("#lang-fr"), en: $("#lang-en") };
  const newConversation = $("#new-conversation");

  // ---------------------------------------------------------------- storage
  const storage = {
    get(key) {
      try {
        return window.localStorage.getItem(key);
      } catch (_) {
        return null;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, value);
      } catch (_) {
        /* private mode or full: the chat still works, without memory */
      }
    },
    remove(key) {
      try {
        window.localStorage.removeItem(key);
      } catch (_) {
        /* ignore */
      }
    },
  };

  function cleanId(value) {
    if (typeof value !== "string") return "";
    const id = value.trim();
    return id.length > 0 && id.length <= MAX_ID_LENGTH ? id : "";
  }

  const params = new URLSearchParams(window.location.search);

  // The shop opens /chat?token=… for a signed-in customer. The token is kept for this tab
  // only and taken out of the address at once, so that it is not in the history, a
  // bookmark or a link the customer shares.
  const tabStorage = {
    get() {
      try { return window.sessionStorage.getItem(TOKEN_KEY) || ""; } catch (_) { return ""; }
    },
    set(value) {
      try {
        if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
        else window.sessionStorage.removeItem(TOKEN_KEY);
      } catch (_) { /* the token then lives in this page only */ }
    },
  };
  let customerToken = (params.get("token") || "").trim() || tabStorage.get();
  tabStorage.set(customerToken);
  if (params.has("token")) {
    params.delete("token");
    const rest = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (rest ? `?${rest}` : "") + window.location.hash);
  }

  function withToken(data) {
    return customerToken ? { ...data, customData: { token: customerToken } } : data;
  }

  // The server names the conversation: the customer's own with a token, else an anonymous
  // one it signed, which this browser keeps to come back to.
  let sessionId = cleanId(storage.get(SESSION_KEY) || "");

  function loadTranscript(id) {
    try {
      const parsed = JSON.parse(storage.get(TRANSCRIPT_PREFIX + id) || "[]");
      return Array.isArray(parsed) ? parsed.filter((m) => m && typeof m === "object") : [];
    } catch (_) {
      return [];
    }
  }

  let transcript = loadTranscript(sessionId);

  function saveTranscript() {
    if (transcript.length > MAX_STORED) transcript = transcript.slice(-MAX_STORED);
    storage.set(TRANSCRIPT_PREFIX + sessionId, JSON.stringify(transcript));
  }

  // ---------------------------------------------------------------- language
  const FRENCH_WORDS = new Set(
    ("le la les un une des du de et est je vous votre vos nous notre pour avec dans sur pas ne " +
      "que qui mais ou où bonjour merci oui non au aux ce cette ces mon ma mes sont êtes avez " +
      "bien très aussi voici être avoir faire peux puis souhaitez commande ami bientôt revoir " +
      "l d j qu c n").split(/\s+/)
  );
  const ENGLISH_WORDS = new Set(
    ("the and is are you your we our i to of for with in on it this that what how can will " +
      "would have has not yes thanks thank hello hi please here there be do my just like help " +
      "see soon anything else order friend goodbye welcome t re ll ve").split(/\s+/)
  );
  const ACCENTS = /[éèêëàâçùûüôîïœæ]/g;

  /** "fr", "en", or null when neither has a clear lead. */
  function guessLanguage(text) {
    if (typeof text !== "string" || !text) return null;
    const lower = text.toLowerCase();
    let fr = (lower.match(ACCENTS) || []).length;
    let en = 0;
    for (const word of lower.split(/[^\p{L}]+/u)) {
      if (!word) continue;
      if (FRENCH_WORDS.has(word)) fr += 1;
      if (ENGLISH_WORDS.has(word)) en += 1;
    }
    const [winner, loser, lang] = fr >= en ? [fr, en, "fr"] : [en, fr, "en"];
    return winner - loser >= 2 && winner >= 2 * loser ? lang : null;
  }

  function initialLanguage() {
    const asked = (params.get("lang") || "").toLowerCase();
    if (asked === "fr" || asked === "en") return asked;
    const nav = (navigator.language || "").toLowerCase();
    return nav.startsWith("fr") ? "fr" : "en";
  }

  let lang = initialLanguage();
  let assistantLang = null; // the language the assistant last spoke, clearly

  function t(key, vars) {
    let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
    return s;
  }

  function applyLanguage(next) {
    if (next !== "fr" && next !== "en") return;
    lang = next;
    html.lang = lang;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]"))
      el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const el of document.querySelectorAll("[data-i18n-aria-label]"))
      el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
    for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
    for (const [code, button] of Object.entries(langButtons))
      button.setAttribute("aria-pressed", String(code === lang));
    setStatus(statusEl.dataset.state || "connecting");
    updateTitle();
  }

  /** After a bot message: follow the assistant when its language changes. */
  function followAssistant(text) {
    const spoken = guessLanguage(text);
    if (!spoken || spoken === assistantLang) return;
    assistantLang = spoken;
    if (spoken !== lang) applyLanguage(spoken);
  }

  // ---------------------------------------------------------------- status & title
  let unread = 0;

  function setStatus(state) {
    statusEl.dataset.state = state;
    statusText.dataset.i18n = state;
    statusText.textContent = t(state);
  }

  function updateTitle() {
    document.title = unread > 0 ? `(${unread}) ${t("title")}` : t("title");
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && unread) {
      unread = 0;
      updateTitle();
    }
  });

  // ---------------------------------------------------------------- rendering
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

  /** Text with line breaks (CSS pre-wrap) and clickable http(s) links, never innerHTML. */
  function fillText(el, text) {
    let last = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      const href = safeUrl(match[0]);
      if (!href) continue;
      if (match.index > last) el.append(document.createTextNode(text.slice(last, match.index)));
      const a = document.createElement("a");
      a.href = href;
      a.textContent = match[0];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      el.append(a);
      last = match.index + match[0].length;
    }
    if (last < text.length) el.append(document.createTextNode(text.slice(last)));
  }

  function choiceButton(choice) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "choice";
    button.textContent = choice.title;
    button.addEventListener("click", () => {
      sendMessage(choice.payload, choice.title);
    });
    return button;
  }

  function renderChoices(choices) {
    const box = document.createElement("div");
    box.className = "choices";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", t("choices"));
    box.dataset.i18nAriaLabel = "choices";
    for (const choice of choices) box.append(choiceButton(choice));
    return box;
  }

  function renderCards(cards) {
    const list = document.createElement("div");
    list.className = "cards";
    for (const card of cards) {
      const item = document.createElement("div");
      item.className = "card";
      if (card.image) {
        const img = document.createElement("img");
        img.src = card.image;
        img.alt = card.title || "";
        img.loading = "lazy";
        item.append(img);
      }
      if (card.title) {
        const title = document.createElement("div");
        title.className = "card-title";
        title.textContent = card.title;
        item.append(title);
      }
      if (card.subtitle) {
        const sub = document.createElement("div");
        sub.className = "card-subtitle";
        fillText(sub, card.subtitle);
        item.append(sub);
      }
      if (card.links && card.links.length) {
        for (const link of card.links) {
          const a = document.createElement("a");
          a.className = "card-link";
          a.href = link.url;
          a.textContent = link.title || t("link");
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          item.append(a);
        }
      }
      if (card.choices && card.choices.length) item.append(renderChoices(card.choices));
      list.append(item);
    }
    return list;
  }

  /** One transcript record -> one `.msg` element. */
  function renderMessage(record) {
    const el = document.createElement("div");
    el.className = `msg ${record.role === "user" ? "user" : "bot"}`;
    if (record.away) el.classList.add("nudge-away");

    const who = document.createElement("span");
    who.className = "sr-only";
    who.dataset.i18n = record.role === "user" ? "you" : "assistant";
    who.textContent = t(who.dataset.i18n);
    el.append(who);

    if (record.away) {
      const away = document.createElement("span");
      away.className = "away-label";
      away.dataset.i18n = "away";
      away.textContent = t("away");
      el.append(away);
    }

    if (record.text) {
      const text = document.createElement("div");
      text.className = "text";
      fillText(text, record.text);
      el.append(text);
    }

    if (record.image) {
      const img = document.createElement("img");
      img.className = "attachment";
      img.src = record.image;
      img.alt = "";
      img.loading = "lazy";
      el.append(img);
    }
    if (record.link) {
      const a = document.createElement("a");
      a.className = "attachment-link";
      a.href = record.link;
      a.textContent = record.link;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      el.append(a);
    }
    if (record.cards && record.cards.length) el.append(renderCards(record.cards));
    if (record.choices && record.choices.length) el.append(renderChoices(record.choices));
    return el;
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function append(record, { store = true } = {}) {
    const el = renderMessage(record);
    log.append(el);
    if (store) {
      transcript.push(record);
      saveTranscript();
    }
    scrollToEnd();
    // images change the height once loaded
    for (const img of el.querySelectorAll("img")) {
      img.addEventListener("load", () => {
        if (el === log.lastElementChild) scrollToEnd();
      }, { once: true });
    }
    return el;
  }

  /** A notice that is not part of the conversation (errors): not stored. */
  function notice(text) {
    const el = document.createElement("div");
    el.className = "notice";
    el.textContent = text;
    log.append(el);
    scrollToEnd();
  }

  /** Quick replies disappear once one is used or the customer sends something. */
  function dropChoices() {
    for (const box of log.querySelectorAll(".choices")) box.remove();
    let changed = false;
    for (const record of transcript) {
      if (record.choices && record.choices.length) {
        record.choices = [];
        changed = true;
      }
      if (record.cards) {
        for (const card of record.cards) {
          if (card.choices && card.choices.length) {
            card.choices = [];
            changed = true;
          }
        }
      }
    }
    if (changed) saveTranscript();
  }

  function redraw() {
    log.replaceChildren();
    for (const record of transcript) append(record, { store: false });
    // the assistant's language so far, so that a reload keeps following it
    for (let i = transcript.length - 1; i >= 0; i--) {
      const record = transcript[i];
      if (record.role !== "user") {
        const spoken = guessLanguage(record.text);
        if (spoken) {
          assistantLang = spoken;
          break;
        }
      }
    }
  }

  /** Only the latest answer keeps its buttons (as after dropChoices). */
  function withoutOldChoices(records) {
    const lastUser = records.map((record) => record.role).lastIndexOf("user");
    records.forEach((record, index) => {
      if (index >= lastUser) return;
      if (record.choices) record.choices = [];
      for (const card of record.cards || []) card.choices = [];
    });
    return records;
  }

  /** A signed-in customer's conversation as the server keeps it: on a second device, or after
   * the browser forgot, the page shows what was said. Without an answer the local copy stays. */
  async function fetchHistory() {
    try {
      const answer = await fetch(HISTORY_URL, {
        headers: { Authorization: `Bearer ${customerToken}`, Accept: "application/json" },
        credentials: "omit",
        cache: "no-store",
      });
      return answer.ok ? await answer.json() : null;
    } catch (_) {
      return null; // offline or refused: the socket tells the customer what matters
    }
  }

  async function loadHistory() {
    const data = await fetchHistory();
    const conversation = cleanId(data && data.conversation);
    if (!conversation || !Array.isArray(data.messages)) return;
    const cleared = Number(storage.get(CLEARED_PREFIX + conversation)) || 0;
    const records = [];
    for (const said of data.messages) {
      const at = Date.parse(said && said.at);
      if (!(at > cleared)) continue;
      const record = said.by === "customer" ? { role: "user", text: String(said.text || "") } : fromBot(said);
      if (record && (record.role !== "user" || record.text)) records.push({ ...record, ts: at });
    }
    if (conversation !== sessionId) {
      // the customer's own conversation from now on (as session_confirm would say)
      storage.remove(TRANSCRIPT_PREFIX + sessionId);
      sessionId = conversation;
      storage.set(SESSION_KEY, sessionId);
      saveTranscript();
    }
    if (!records.length) return; // nothing on the server yet: keep what this browser has
    transcript = withoutOldChoices(records);
    saveTranscript();
    redraw();
  }

  // ---------------------------------------------------------------- typing indicator
  let typingTimer = null;

  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
    scrollToEnd();
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    typingTimer = null;
    typing.hidden = true;
  }

  // ---------------------------------------------------------------- bot messages
  function asChoices(list) {
    if (!Array.isArray(list)) return [];
    const out = [];
    for (const item of list) {
      if (!item || typeof item !== "object") continue;
      const title = typeof item.title === "string" ? item.title : "";
      const payload = typeof item.payload === "string" ? item.payload : title;
      if (title && payload) out.push({ title, payload });
    }
    return out;
  }

  function asCards(elements) {
    if (!Array.isArray(elements)) return [];
    const cards = [];
    for (const element of elements) {
      if (!element || typeof element !== "object") continue;
      const card = {
        title: typeof element.title === "string" ? element.title : "",
        subtitle: typeof element.subtitle === "string" ? element.subtitle : "",
        image: safeUrl(element.image_url),
        choices: [],
        links: [],
      };
      for (const button of Array.isArray(element.buttons) ? element.buttons : []) {
        if (!button || typeof button !== "object") continue;
        const url = safeUrl(button.url);
        if (url) card.links.push({ title: String(button.title || ""), url });
        else card.choices.push(...asChoices([button]));
      }
      if (card.title || card.subtitle || card.image || card.choices.length || card.links.length)
        cards.push(card);
    }
    return cards;
  }

  /** Turns whatever bot_uttered carries into a transcript record (or null). */
  function fromBot(data) {
    if (typeof data === "string") data = { text: data };
    if (!data || typeof data !== "object") return null;
    const record = { role: "bot", text: "", ts: Date.now() };

    const custom = data.custom && typeof data.custom === "object" ? data.custom : null;
    const nested = data.data && typeof data.data === "object" ? data.data : null;
    for (const source of [data, custom, nested]) {
      if (!record.text && source && typeof source.text === "string") record.text = source.text;
    }

    const choices = [...asChoices(data.quick_replies), ...asChoices(data.buttons)];
    if (custom) choices.push(...asChoices(custom.quick_replies), ...asChoices(custom.buttons));
    if (choices.length) record.choices = choices;

    let attachment = data.attachment;
    if (typeof attachment === "string") {
      const url = safeUrl(attachment);
      if (url) record.link = url;
    } else if (attachment && typeof attachment === "object") {
      const payload = attachment.payload && typeof attachment.payload === "object" ? attachment.payload : {};
      if (attachment.type === "image") {
        const src = safeUrl(payload.src || payload.url);
        if (src) record.image = src;
      } else if (attachment.type === "template" && Array.isArray(payload.elements)) {
        const cards = asCards(payload.elements);
        if (cards.length) record.cards = cards;
      } else {
        const url = safeUrl(payload.src || payload.url);
        if (url) record.link = url;
      }
    }
    if (Array.isArray(data.elements)) {
      const cards = asCards(data.elements);
      if (cards.length) record.cards = (record.cards || []).concat(cards);
    }
    if (typeof data.image === "string" && !record.image) {
      const src = safeUrl(data.image);
      if (src) record.image = src;
    }

    const visible = record.text || record.image || record.link || record.cards || record.choices;
    return visible ? record : null;
  }

  function onBotUttered(data) {
    hideTyping();
    const record = fromBot(data);
    if (!record) return; // custom json with nothing to show
    if (document.hidden) {
      record.away = true;
      unread += 1;
      updateTitle();
    }
    append(record);
    followAssistant(record.text);
  }

  // ---------------------------------------------------------------- socket
  function rasaUrl() {
    const meta = document.querySelector('meta[name="fusion-rasa-url"]');
    const content = meta ? (meta.getAttribute("content") || "").trim() : "";
    if (content && content !== PLACEHOLDER && !content.startsWith("__")) return content.replace(/\/+$/, "");
    const scheme = window.location.protocol === "https:" ? "https:" : "http:";
    const host = window.location.hostname || "127.0.0.1";
    const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return `${scheme}//${bracketed}:5005`;
  }

  let socket = null;
  let confirmed = false;
  const outbox = []; // messages waiting for session_confirm

  function flush() {
    while (confirmed && socket && socket.connected && outbox.length) {
      const message = outbox.shift();
      socket.emit("user_uttered", withToken({ message }));
    }
  }

  function connect() {
    if (typeof window.io !== "function") {
      setStatus("offline");
      console.error("socket.io client missing (/static/vendor/socket.io.min.js)");
      return;
    }
    setStatus("connecting");
    socket = window.io(rasaUrl(), {
      path: "/socket.io",
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
    });
    socket.on("connect", () => {
      confirmed = false;
      setStatus("connecting");
      socket.emit("session_request", withToken(sessionId ? { session_id: sessionId } : {}));
    });
    socket.on("session_confirm", (data) => {
      const confirmedId = cleanId(typeof data === "string" ? data : data && data.session_id);
      if (confirmedId && confirmedId !== sessionId) {
        // the server chose another id: move our memory to it
        storage.remove(TRANSCRIPT_PREFIX + sessionId);
        sessionId = confirmedId;
        storage.set(SESSION_KEY, sessionId);
        saveTranscript();
      }
      confirmed = true;
      setStatus("online");
      flush();
    });
    socket.on("bot_uttered", onBotUttered);
    socket.on("fusion_error", (data) => {
      hideTyping();
      if (data && data.error === "message_too_long") notice(t("tooLong", { n: data.max_length }));
      else if (data && data.error === "invalid_token") {
        customerToken = "";
        tabStorage.set("");
        notice(t("signedOut"));
      } else if (data && data.error === "rate_limited") notice(t("tooFast"));
      else notice(t("failed"));
    });
    socket.on("disconnect", () => {
      confirmed = false;
      setStatus("offline");
    });
    socket.on("connect_error", () => {
      confirmed = false;
      setStatus("offline");
    });
  }

  /** Sends `payload` to the assistant and shows `shown` (a button's title) as the customer's bubble. */
  function sendMessage(payload, shown) {
    const message = typeof payload === "string" ? payload.trim() : "";
    if (!message) return;
    dropChoices();
    append({ role: "user", text: shown || message, ts: Date.now() });
    outbox.push(message);
    flush();
    showTyping();
    input.focus();
  }

  // ---------------------------------------------------------------- controls
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) {
      input.focus();
      return;
    }
    input.value = "";
    sendMessage(text);
  });

  for (const [code, button] of Object.entries(langButtons)) {
    button.addEventListener("click", () => applyLanguage(code));
  }

  /** A signed-in customer's conversation stays on the server: this device hides what it
   * said until now, by the server's clock (the latest message's time), not the browser's. */
  async function hideEarlier(conversation) {
    const data = await fetchHistory();
    const times = data && Array.isArray(data.messages) ? data.messages.map((m) => Date.parse(m && m.at)) : [];
    const latest = Math.max(0, ...times.filter(Number.isFinite));
    storage.set(CLEARED_PREFIX + conversation, String(latest || Date.now()));
  }

  newConversation.addEventListener("click", () => {
    if (customerToken && sessionId) hideEarlier(sessionId);
    storage.remove(TRANSCRIPT_PREFIX + sessionId);
    storage.remove(SESSION_KEY);
    transcript = [];
    outbox.length = 0;
    hideTyping();
    log.replaceChildren();
    assistantLang = null;
    unread = 0;
    updateTitle();
    // the server names the next one: the customer's own again with a token, else a new one
    sessionId = "";
    if (socket) {
      // a new socket.io session, so the old conversation's room no longer reaches us
      confirmed = false;
      socket.disconnect();
      setStatus("connecting");
      socket.connect();
    }
    input.focus();
  });

  // ---------------------------------------------------------------- start
  applyLanguage(lang);
  redraw();
  const followSpoken = () => {
    if (!params.get("lang") && assistantLang && assistantLang !== lang) applyLanguage(assistantLang);
  };
  followSpoken();
  // the server's copy first, then the socket: what arrives live comes after it
  (customerToken ? loadHistory() : Promise.resolve()).then(followSpoken).finally(connect);
  input.focus({ preventScroll: true });

  // for debugging and tests: read-only view of the state
  window.fusionChat = Object.freeze({
    get sessionId() { return sessionId; },
    get language() { return lang; },
    get socket() { return socket; },
    guessLanguage,
  });
})();
