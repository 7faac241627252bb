// Reward rules (#/rules): YAML editor with a line gutter, live validation, dry-run,
// back-test, publish and history (view / roll back). Every word staff read here is in
// STRINGS, in French and in English.

import {
  ApiError,
  LANGUAGE,
  LOCALE,
  api,
  clear,
  confirmDialog,
  counted,
  debounce,
  describe,
  errorNotice,
  euros,
  h,
  humanize,
  localized,
  num,
  replace,
  signed,
  spinner,
  timeEl,
  toast,
} from "./core.js";

const VALIDATE_DELAY_MS = 600;

export const STRINGS = localized({
  fr: {
    title: "Règles de récompense",
    validate: "Vérifier",
    publish: "Publier…",
    editorTitle: "rules.yml",
    editorSub: "Vérifiées pendant la saisie. Rien ne change pour les clients tant que vous ne publiez pas.",
    editorLabel: "Règles de récompense (YAML)",
    editorHint: "Indentation de deux espaces · points, badges, bons de réduction, limites et budgets",
    problems: "Problèmes",
    historyTitle: "Historique",
    historySub: "Chaque version publiée, de la plus récente à la plus ancienne.",
    dryRunTitle: "Essai à blanc",
    dryRunSub: "Ce que les règles de l’éditeur accorderaient pour ces événements, en partant de zéro.",
    eventsLabel: "Événements d’exemple (JSON\u00a0: une liste d’événements de la boutique ou de conversation)",
    runDryRun: "Essayer sur ces événements",
    backtestTitle: "Test rétroactif",
    backtestSub: "Rejoue les événements enregistrés avec les règles de l’éditeur et avec les règles en vigueur.",
    period: "Période (jours)",
    runBacktest: "Lancer le test",
    nothingPublished: "Aucune règle n’est encore publiée\u00a0: écrivez-les ici, vérifiez-les, puis publiez la version 1.",
    cursor: (line, column) => `ligne ${line}, colonne ${column}`,
    goToLine: "Aller à cette ligne",
    problemAt: (line, message) => `ligne ${line ?? "?"}\u00a0: ${message}`,
    problemCount: (n) => counted(n, "problème", "problèmes"),
    checking: "vérification…",
    notChecked: "non vérifiées",
    valid: (rules, badges) => `valides · ${num(rules)}\u00a0règles · ${num(badges)}\u00a0badges`,
    validStatus: (rules, badges) => `Les règles sont valides\u00a0: ${num(rules)}\u00a0règles, ${num(badges)}\u00a0badges.`,
    toFix: (n) => `${counted(n, "problème", "problèmes")} à corriger\u00a0: cliquez sur l’un d’eux pour aller à sa ligne.`,
    eventsNotJson: (line, reason) => `les événements ne sont pas du JSON valide (ligne ${line}\u00a0: ${reason})`,
    eventsNotList: "les événements doivent former une liste JSON",
    running: "En cours…",
    fixFirst: "Les règles ont des problèmes\u00a0: corrigez-les d’abord (voir la liste sous l’éditeur).",
    periodInvalid: "La période est un nombre entier de jours, de 1 à 365.",
    replaying: "Les événements enregistrés sont rejoués…",
    nothingToPublish: "L’éditeur est vide\u00a0: il n’y a rien à publier.",
    confirmPublish: "Publier les règles de l’éditeur comme nouvelle version\u00a0? Chaque processus les applique dès l’événement suivant.",
    confirmPublishTitle: "Publier les règles",
    confirmPublishYes: "Publier",
    validPublished: "valides · publiées",
    published: (version) => `version ${version} publiée`,
    publishedToast: (version) => `Version ${version} des règles publiée`,
    notPublished: (n) => `Non publiées\u00a0: ${counted(n, "problème", "problèmes")} à corriger d’abord.`,
    noVersionPublished: "Aucune version publiée pour l’instant.",
    inForce: (version, who) => `Version ${version} en vigueur · publiée par ${who} · `,
    inForceRollback: (version, restored, who) => `Version ${version} en vigueur · retour à la version ${restored} par ${who} · `,
    short: (version) => `v${version}`,
    rollbackTo: (restored) => `retour à la v${restored}`,
    rollbackTitle: (restored) => `Les règles de la version ${restored}, publiées de nouveau`,
    noVersion: "Aucune version pour l’instant.",
    inForcePill: "en vigueur",
    checksum: (checksum) => `empreinte ${checksum}`,
    view: "voir",
    viewLabel: (version) => `Voir la version ${version}`,
    rollBack: "revenir",
    rollBackLabel: (version) => `Revenir à la version ${version}`,
    loadedInForce: (version) => `Version ${version} (en vigueur) chargée dans l’éditeur.`,
    loaded: (version) => `Version ${version} chargée dans l’éditeur (pas en vigueur\u00a0; publiez-la ou revenez-y pour l’appliquer).`,
    restoreEdits: "Retrouver mes modifications",
    editsRestored: "Vos modifications sont de retour dans l’éditeur.",
    confirmRollBack: (version) => `Revenir à la version ${version}\u00a0? Ses règles sont publiées de nouveau comme une nouvelle version, en vigueur dès l’événement suivant.`,
    confirmRollBackTitle: "Revenir à une version des règles",
    confirmRollBackYes: (version) => `Revenir à la v${version}`,
    rolledBack: (version, restored) => `version ${version} publiée (les règles de la version ${restored})`,
    dryRunStale: (version) => `La version ${version} est désormais en vigueur\u00a0: relancez l’essai à blanc pour les règles de l’éditeur.`,
    backtestStale: (version) => `La version ${version} est désormais en vigueur\u00a0: relancez le test rétroactif pour comparer avec elle.`,
    // reports
    events: "événements",
    eventsReplayed: "événements rejoués",
    customersRewarded: "clients récompensés",
    points: "points",
    pointsLiability: "engagement en points",
    coupons: "bons de réduction",
    couponCost: "coût des bons",
    badges: "badges",
    decisions: "décisions\u00a0: ",
    outcome: (key) => humanize(key),
    rule: "règle",
    total: "total",
    totalCost: "coût total",
    nothingAwarded: "Aucune règle n’a rien accordé pour ces événements.",
    candidate: "proposées",
    versionInForce: (version) => (version ? `en vigueur (v${version})` : "en vigueur"),
    difference: "écart",
    sameCost: (days) => `Même coût que les règles en vigueur sur les ${days}\u00a0derniers jours.`,
    costMore: (amount, days) => `Cette modification aurait coûté ${amount} de plus sur les ${days}\u00a0derniers jours.`,
    costLess: (amount, days) => `Cette modification aurait coûté ${amount} de moins sur les ${days}\u00a0derniers jours.`,
    replayed: (events) => `${events}\u00a0événements rejoués`,
    since: " depuis le ",
    against: (label) => `, comparés aux règles ${label}.`,
    noPayoutChanged: "Aucune règle ne donne autre chose qu’avant.",
    payoutChanged: "Règles dont les récompenses changent",
    payoutChange: (what, before, after) => `${what} ${before} → ${after}`,
  },
  en: {
    title: "Reward rules",
    validate: "Validate",
    publish: "Publish…",
    editorTitle: "rules.yml",
    editorSub: "Checked as you type. Nothing changes for customers until you publish.",
    editorLabel: "Reward rules (YAML)",
    editorHint: "Two-space indentation · points, badges, coupons, limits and budgets",
    problems: "Problems",
    historyTitle: "History",
    historySub: "Every published version, newest first.",
    dryRunTitle: "Dry-run",
    dryRunSub: "What the editor's rules would award for these events, from an empty store.",
    eventsLabel: "Sample events (JSON: a list of commerce or conversation events)",
    runDryRun: "Run on these events",
    backtestTitle: "Back-test",
    backtestSub: "Replays the stored events through the editor's rules and the rules in force.",
    period: "Period (days)",
    runBacktest: "Back-test",
    nothingPublished: "No rules are published yet: write them here, validate, then publish version 1.",
    cursor: (line, column) => `line ${line}, column ${column}`,
    goToLine: "Go to this line",
    problemAt: (line, message) => `line ${line ?? "?"}: ${message}`,
    problemCount: (n) => counted(n, "problem", "problems"),
    checking: "checking…",
    notChecked: "not checked",
    valid: (rules, badges) => `valid · ${num(rules)} rules · ${num(badges)} badges`,
    validStatus: (rules, badges) => `The rules are valid: ${num(rules)} rules, ${num(badges)} badges.`,
    toFix: (n) => `${counted(n, "problem", "problems")} to fix: click one to go to its line.`,
    eventsNotJson: (line, reason) => `the events are not valid JSON (line ${line}: ${reason})`,
    eventsNotList: "the events must be a JSON list",
    running: "Running…",
    fixFirst: "The rules have problems: fix them first (see the list under the editor).",
    periodInvalid: "The period is a whole number of days from 1 to 365.",
    replaying: "Replaying the stored events…",
    nothingToPublish: "The editor is empty: there is nothing to publish.",
    confirmPublish: "Publish the editor's rules as a new version? Every process uses them from its next event.",
    confirmPublishTitle: "Publish the rules",
    confirmPublishYes: "Publish",
    validPublished: "valid · published",
    published: (version) => `version ${version} published`,
    publishedToast: (version) => `Rules version ${version} published`,
    notPublished: (n) => `Not published: ${counted(n, "problem", "problems")} to fix first.`,
    noVersionPublished: "No version published yet.",
    inForce: (version, who) => `Version ${version} in force · published by ${who} · `,
    inForceRollback: (version, restored, who) => `Version ${version} in force · a rollback to version ${restored} by ${who} · `,
    short: (version) => `v${version}`,
    rollbackTo: (restored) => `rollback to v${restored}`,
    rollbackTitle: (restored) => `The rules of version ${restored}, published again`,
    noVersion: "No version yet.",
    inForcePill: "in force",
    checksum: (checksum) => `checksum ${checksum}`,
    view: "view",
    viewLabel: (version) => `View version ${version}`,
    rollBack: "roll back",
    rollBackLabel: (version) => `Roll back to version ${version}`,
    loadedInForce: (version) => `Version ${version} (in force) loaded into the editor.`,
    loaded: (version) => `Version ${version} loaded into the editor (not in force; publish it or roll back to use it).`,
    restoreEdits: "Restore my edits",
    editsRestored: "Your edits are back in the editor.",
    confirmRollBack: (version) => `Roll back to version ${version}? Its rules are published again as a new version, in force from the next event.`,
    confirmRollBackTitle: "Roll back the rules",
    confirmRollBackYes: (version) => `Roll back to v${version}`,
    rolledBack: (version, restored) => `version ${version} published (the rules of version ${restored})`,
    dryRunStale: (version) => `Version ${version} is now in force: run the dry-run again for the editor's rules.`,
    backtestStale: (version) => `Version ${version} is now in force: back-test again to compare with it.`,
    // reports
    events: "events",
    eventsReplayed: "events replayed",
    customersRewarded: "customers rewarded",
    points: "points",
    pointsLiability: "points liability",
    coupons: "coupons",
    couponCost: "coupon cost",
    badges: "badges",
    decisions: "decisions: ",
    outcome: (key) => humanize(key),
    rule: "rule",
    total: "total",
    totalCost: "total cost",
    nothingAwarded: "No rule awarded anything for these events.",
    candidate: "candidate",
    versionInForce: (version) => (version ? `in force (v${version})` : "in force"),
    difference: "difference",
    sameCost: (days) => `Same cost as the rules in force over the last ${days} days.`,
    costMore: (amount, days) => `This change would have cost ${amount} more over the last ${days} days.`,
    costLess: (amount, days) => `This change would have cost ${amount} less over the last ${days} days.`,
    replayed: (events) => `${events} events replayed`,
    since: " since ",
    against: (label) => ` against ${label}.`,
    noPayoutChanged: "No rule's payout changed.",
    payoutChanged: "Rules whose payout changed",
    payoutChange: (what, before, after) => `${what} ${before} → ${after}`,
  },
});

export async function render(ctx) {
  // everything the page needs first: a role that may not edit the rules gets the API's 403
  // (shown by the router) instead of an editor it cannot use
  const listing = await api("GET", "/api/v1/rules/versions");
  if (!ctx.alive()) return;
  const versions = Array.isArray(listing.versions) ? listing.versions : [];
  let content = "";
  if (versions.length) {
    const latest = await api("GET", `/api/v1/rules/versions/${encodeURIComponent(versions[0].version)}`);
    content = latest.content || "";
  } else {
    try {
      await api("POST", "/api/v1/rules/validate", { text: "" });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 401)) throw err;
    }
  }
  if (!ctx.alive()) return;
  const page = new RulesPage(ctx, versions);
  page.start(content);
}

class RulesPage {
  constructor(ctx, versions) {
    this.ctx = ctx;
    this.versions = versions;
    this.problems = [];
    this.errorLines = new Map();
    this.validateSeq = 0;
    this.lastValidated = null;
    this.loadedText = "";
    this.stashed = null;
    this.lineCount = 0;
    this.resultsEpoch = 0; // changes with the version in force: older answers are dropped
    this.build();
  }

  // -------------------------------------------------------------- layout

  build() {
    const ctx = this.ctx;
    this.status = h("p", { id: "rules-status", class: "status-line", role: "status", "aria-live": "polite" });
    this.inForce = h("p", { class: "subtitle", id: "rules-in-force" });

    this.gutterInner = h("div", { class: "gutter-inner" });
    this.gutter = h("div", { class: "gutter", "aria-hidden": "true" }, this.gutterInner);
    this.text = h("textarea", {
      id: "rules-text",
      name: "rules",
      class: "code",
      wrap: "off",
      spellcheck: "false",
      autocomplete: "off",
      autocapitalize: "off",
      "aria-describedby": "rules-problems-title",
    });
    this.editor = h("div", { class: "editor" }, this.gutter, this.text);
    this.validity = h("span", { id: "rules-validity", class: "validity" });
    this.problemsList = h("ul", { id: "rules-problems", class: "problems", "aria-labelledby": "rules-problems-title" });
    this.cursor = h("span", { class: "cursor-pos", "aria-hidden": "true" }, STRINGS.cursor(1, 1));

    const validateButton = h("button", { id: "rules-validate", type: "button", onclick: () => this.validate(false) }, STRINGS.validate);
    const publishButton = h("button", { id: "rules-publish", type: "button", class: "primary", onclick: () => this.publish() }, STRINGS.publish);

    this.eventsInput = h("textarea", { id: "dry-run-events", name: "events", class: "code small-code", spellcheck: "false", wrap: "off", rows: 12 });
    this.eventsInput.value = JSON.stringify(sampleEvents(), null, 2);
    this.dryRunResult = h("div", { id: "dry-run-result", class: "result", "aria-live": "polite" });
    const dryRunButton = h("button", { id: "rules-dry-run", type: "button", onclick: () => this.dryRun() }, STRINGS.runDryRun);

    this.daysInput = h("input", { id: "backtest-days", name: "days", type: "number", min: "1", max: "365", step: "1", value: "30", class: "narrow" });
    this.backtestResult = h("div", { id: "backtest-result", class: "result", "aria-live": "polite" });
    const backtestButton = h("button", { id: "rules-backtest", type: "button", onclick: () => this.backtest() }, STRINGS.runBacktest);

    this.history = h("div", { id: "rules-history" });

    replace(
      ctx.main,
      h(
        "div",
        { class: "page page-rules" },
        h(
          "div",
          { class: "page-head" },
          h("div", null, h("h1", null, STRINGS.title), this.inForce),
          h("div", { class: "page-tools" }, validateButton, publishButton),
        ),
        this.status,
        h(
          "div",
          { class: "grid grid-rules" },
          h(
            "section",
            { class: "card editor-card" },
            h(
              "header",
              { class: "card-head" },
              h("div", null, h("h2", null, STRINGS.editorTitle), h("p", { class: "card-sub" }, STRINGS.editorSub)),
              this.validity,
            ),
            h("label", { for: "rules-text", class: "sr-only" }, STRINGS.editorLabel),
            this.editor,
            h("div", { class: "editor-foot" }, this.cursor, h("span", { class: "hint" }, STRINGS.editorHint)),
            h(
              "div",
              { class: "problems-box" },
              h("h3", { id: "rules-problems-title", class: "sr-only" }, STRINGS.problems),
              this.problemsList,
            ),
          ),
          h(
            "section",
            { class: "card history-card" },
            h("header", { class: "card-head" }, h("div", null, h("h2", null, STRINGS.historyTitle), h("p", { class: "card-sub" }, STRINGS.historySub))),
            this.history,
          ),
        ),
        h(
          "div",
          { class: "grid grid-2" },
          h(
            "section",
            { class: "card" },
            h("header", { class: "card-head" }, h("div", null, h("h2", null, STRINGS.dryRunTitle), h("p", { class: "card-sub" }, STRINGS.dryRunSub))),
            h(
              "div",
              { class: "field" },
              h("label", { for: "dry-run-events" }, STRINGS.eventsLabel),
              this.eventsInput,
            ),
            h("div", { class: "actions" }, dryRunButton),
            this.dryRunResult,
          ),
          h(
            "section",
            { class: "card" },
            h("header", { class: "card-head" }, h("div", null, h("h2", null, STRINGS.backtestTitle), h("p", { class: "card-sub" }, STRINGS.backtestSub))),
            h(
              "div",
              { class: "inline-form" },
              h("div", { class: "field" }, h("label", { for: "backtest-days" }, STRINGS.period), this.daysInput),
              backtestButton,
            ),
            this.backtestResult,
          ),
        ),
      ),
    );

    this.autoValidate = debounce(() => this.validate(true), VALIDATE_DELAY_MS);
    ctx.cleanup(() => this.autoValidate.cancel());
    this.text.addEventListener("input", () => {
      this.renderGutter();
      this.updateCursor();
      this.autoValidate();
    });
    this.text.addEventListener("scroll", () => this.syncScroll());
    for (const type of ["keyup", "click", "select"]) this.text.addEventListener(type, () => this.updateCursor());
    this.text.addEventListener("keydown", (event) => this.onKey(event));
    this.daysInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.backtest();
      }
    });
  }

  start(content) {
    this.renderHistory();
    this.renderInForce();
    this.setText(content);
    if (!this.versions.length) {
      this.setStatus(STRINGS.nothingPublished);
      return;
    }
    this.validate(true);
  }

  // -------------------------------------------------------------- editor

  setText(text) {
    this.text.value = text;
    this.loadedText = text;
    this.lastValidated = null;
    this.text.setSelectionRange(0, 0);
    this.text.scrollTop = 0;
    this.setProblems([], null);
    this.renderGutter(true);
    this.updateCursor();
  }

  dirty() {
    return this.text.value !== this.loadedText;
  }

  renderGutter(force = false) {
    const count = this.text.value.split("\n").length;
    if (!force && count === this.lineCount && !this.gutterStale) return;
    this.lineCount = count;
    this.gutterStale = false;
    const fragment = document.createDocumentFragment();
    for (let n = 1; n <= count; n += 1) {
      const line = h("div", { class: "gutter-line", dataset: { line: String(n) } }, String(n));
      const message = this.errorLines.get(n);
      if (message) {
        line.classList.add("error");
        line.title = message;
      }
      fragment.appendChild(line);
    }
    clear(this.gutterInner).appendChild(fragment);
    this.syncScroll();
  }

  syncScroll() {
    this.gutter.scrollTop = this.text.scrollTop;
  }

  updateCursor() {
    const before = this.text.value.slice(0, this.text.selectionStart);
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    this.cursor.textContent = STRINGS.cursor(line, column);
    for (const el of this.gutterInner.querySelectorAll(".gutter-line.current")) el.classList.remove("current");
    const current = this.gutterInner.children[line - 1];
    if (current) current.classList.add("current");
  }

  onKey(event) {
    // Tab indents by two spaces (YAML); Escape then Tab leaves the editor.
    if (event.key === "Escape") {
      this.escaped = true;
      return;
    }
    if (event.key === "Tab" && !event.shiftKey && !this.escaped && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end } = this.text;
      this.text.setRangeText("  ", start, end, "end");
      this.text.dispatchEvent(new Event("input"));
      return;
    }
    this.escaped = false;
  }

  selectLine(n) {
    const lines = this.text.value.split("\n");
    const line = Math.min(Math.max(1, Number(n) || 1), lines.length);
    let start = 0;
    for (let i = 0; i < line - 1; i += 1) start += lines[i].length + 1;
    const end = start + lines[line - 1].length;
    this.text.focus();
    this.text.setSelectionRange(start, end);
    const lineHeight = parseFloat(getComputedStyle(this.text).lineHeight) || 20;
    this.text.scrollTop = Math.max(0, (line - 1) * lineHeight - this.text.clientHeight / 3);
    this.syncScroll();
    this.updateCursor();
  }

  // -------------------------------------------------------------- problems

  setProblems(problems, summary) {
    this.problems = problems;
    this.errorLines = new Map();
    for (const p of problems) {
      const line = Number(p.line) || 1;
      const previous = this.errorLines.get(line);
      this.errorLines.set(line, previous ? `${previous}\n${p.message}` : p.message);
    }
    clear(this.problemsList);
    for (const p of problems) {
      const item = h(
        "li",
        {
          class: "rule-error",
          tabindex: "0",
          role: "button",
          title: STRINGS.goToLine,
          dataset: { line: String(p.line ?? "") },
        },
        STRINGS.problemAt(p.line, p.message),
      );
      const go = () => this.selectLine(p.line);
      item.addEventListener("click", go);
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          go();
        }
      });
      this.problemsList.appendChild(item);
    }
    this.gutterStale = true;
    this.renderGutter(true);
    this.validity.className = "validity";
    if (summary === null) {
      this.validity.textContent = "";
    } else if (problems.length) {
      this.validity.classList.add("invalid");
      this.validity.textContent = STRINGS.problemCount(problems.length);
    } else {
      this.validity.classList.add("valid");
      this.validity.textContent = summary;
    }
  }

  /** Shows a 422 "invalid rules" answer; true when it was one. */
  showInvalid(err) {
    if (err instanceof ApiError && err.status === 422 && Array.isArray(err.body.problems)) {
      this.setProblems(err.body.problems, "");
      return true;
    }
    return false;
  }

  async validate(auto) {
    const text = this.text.value;
    if (auto && text === this.lastValidated) return;
    if (auto && !text.trim()) {
      this.setProblems([], null);
      return;
    }
    const seq = ++this.validateSeq;
    this.validity.className = "validity checking";
    this.validity.textContent = STRINGS.checking;
    try {
      const result = await api("POST", "/api/v1/rules/validate", { text });
      if (!this.ctx.alive() || seq !== this.validateSeq) return;
      this.lastValidated = text;
      this.setProblems([], STRINGS.valid(result.rules, result.badges));
      if (!auto) this.setStatus(STRINGS.validStatus(result.rules, result.badges), "ok");
    } catch (err) {
      if (!this.ctx.alive() || seq !== this.validateSeq) return;
      if (this.showInvalid(err)) {
        this.lastValidated = text;
        if (!auto) this.setStatus(STRINGS.toFix(err.body.problems.length), "error");
        return;
      }
      this.validity.className = "validity invalid";
      this.validity.textContent = STRINGS.notChecked;
      if (!auto || !(err instanceof ApiError && err.status === 0)) this.setStatusNode(errorNotice(err));
    }
  }

  // -------------------------------------------------------------- dry-run / back-test

  readEvents() {
    const raw = this.eventsInput.value.trim();
    if (!raw) return [];
    try {
      const parsed = JSON.parse(raw);
      if (Array.isArray(parsed)) return parsed;
      if (parsed && Array.isArray(parsed.events)) return parsed.events;
      if (parsed && typeof parsed === "object") return [parsed];
    } catch (_) {
      // JSON Lines: one event per line
      const events = [];
      const lines = raw.split("\n");
      for (let i = 0; i < lines.length; i += 1) {
        if (!lines[i].trim()) continue;
        try {
          events.push(JSON.parse(lines[i]));
        } catch (exc) {
          throw new Error(STRINGS.eventsNotJson(i + 1, exc.message));
        }
      }
      return events;
    }
    throw new Error(STRINGS.eventsNotList);
  }

  async dryRun() {
    let events;
    try {
      events = this.readEvents();
    } catch (exc) {
      replace(this.dryRunResult, h("div", { class: "notice notice-error", role: "alert" }, exc.message));
      return;
    }
    const epoch = this.resultsEpoch;
    replace(this.dryRunResult, spinner(STRINGS.running));
    try {
      const report = await api("POST", "/api/v1/rules/dry-run", { json: { rules: this.text.value, events } });
      if (!this.ctx.alive() || epoch !== this.resultsEpoch) return;
      replace(this.dryRunResult, reportView(report));
    } catch (err) {
      if (!this.ctx.alive() || epoch !== this.resultsEpoch) return;
      if (this.showInvalid(err)) {
        replace(this.dryRunResult, h("div", { class: "notice notice-error", role: "alert" }, STRINGS.fixFirst));
      } else {
        replace(this.dryRunResult, errorNotice(err));
      }
    }
  }

  async backtest() {
    const days = Number(this.daysInput.value);
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      replace(this.backtestResult, h("div", { class: "notice notice-error", role: "alert" }, STRINGS.periodInvalid));
      this.daysInput.focus();
      return;
    }
    const epoch = this.resultsEpoch;
    replace(this.backtestResult, spinner(STRINGS.replaying));
    try {
      const result = await api("POST", "/api/v1/rules/backtest", { json: { rules: this.text.value, days } });
      if (!this.ctx.alive() || epoch !== this.resultsEpoch) return;
      if (result.version_in_force !== this.inForceVersion()) {
        await this.reloadHistory(); // changed elsewhere: by a colleague, or the command line
        if (!this.ctx.alive()) return;
        if (result.version_in_force !== this.inForceVersion()) {
          this.clearResults(); // made under a version already replaced
          return;
        }
      }
      replace(this.backtestResult, backtestView(result, days));
    } catch (err) {
      if (!this.ctx.alive() || epoch !== this.resultsEpoch) return;
      if (this.showInvalid(err)) {
        replace(this.backtestResult, h("div", { class: "notice notice-error", role: "alert" }, STRINGS.fixFirst));
      } else {
        replace(this.backtestResult, errorNotice(err));
      }
    }
  }

  // -------------------------------------------------------------- publish / history

  async publish() {
    const text = this.text.value;
    if (!text.trim()) {
      this.setStatus(STRINGS.nothingToPublish, "error");
      return;
    }
    const ok = await confirmDialog(STRINGS.confirmPublish, { title: STRINGS.confirmPublishTitle, yes: STRINGS.confirmPublishYes });
    if (!ok || !this.ctx.alive()) return;
    try {
      const result = await api("POST", "/api/v1/rules", { text });
      if (!this.ctx.alive()) return;
      this.loadedText = text;
      this.lastValidated = text;
      this.setProblems([], STRINGS.validPublished);
      this.setStatus(STRINGS.published(result.version), "ok");
      toast(STRINGS.publishedToast(result.version), "ok");
      await this.reloadHistory();
      await this.showKept(result.version, text);
    } catch (err) {
      if (!this.ctx.alive()) return;
      if (this.showInvalid(err)) {
        this.setStatus(STRINGS.notPublished(err.body.problems.length), "error");
      } else {
        this.setStatusNode(errorNotice(err));
      }
    }
  }

  /** The editor shows the file as it was kept (its version line says the number it got),
   * unless it was edited meanwhile; the cursor and the scroll stay where they were. */
  async showKept(version, published) {
    let kept;
    try {
      kept = (await api("GET", `/api/v1/rules/versions/${encodeURIComponent(version)}`)).content;
    } catch (_) {
      return; // the editor keeps the text as sent; the status already names the version
    }
    if (!this.ctx.alive() || typeof kept !== "string" || this.text.value !== published) return;
    const { selectionStart, selectionEnd, scrollTop } = this.text;
    this.text.value = kept;
    this.loadedText = kept;
    this.lastValidated = kept;
    this.text.setSelectionRange(selectionStart, selectionEnd);
    this.text.scrollTop = scrollTop;
    this.renderGutter(true);
    this.updateCursor();
  }

  async reloadHistory() {
    try {
      const listing = await api("GET", "/api/v1/rules/versions");
      if (!this.ctx.alive()) return;
      this.setVersions(Array.isArray(listing.versions) ? listing.versions : []);
    } catch (err) {
      if (this.ctx.alive()) replace(this.history, errorNotice(err));
    }
  }

  inForceVersion() {
    return this.versions.length ? this.versions[0].version : null;
  }

  /** The versions as the server lists them. When another version is in force, the dry-run
   * and back-test results go: nothing on the page speaks of rules no longer in force. */
  setVersions(versions) {
    const before = this.inForceVersion();
    this.versions = versions;
    this.renderHistory();
    this.renderInForce();
    if (this.inForceVersion() !== before) this.clearResults();
  }

  clearResults() {
    this.resultsEpoch += 1;
    const version = this.inForceVersion();
    for (const [result, note] of [
      [this.dryRunResult, STRINGS.dryRunStale],
      [this.backtestResult, STRINGS.backtestStale],
    ]) {
      if (result.firstChild) replace(result, h("p", { class: "muted small stale-result" }, note(version)));
    }
  }

  renderInForce() {
    const latest = this.versions[0];
    if (!latest) {
      this.inForce.textContent = STRINGS.noVersionPublished;
      return;
    }
    const who = humanize(latest.published_by || "?");
    const said = latest.restored ? STRINGS.inForceRollback(latest.version, latest.restored, who) : STRINGS.inForce(latest.version, who);
    replace(this.inForce, said, timeEl(latest.published_at));
  }

  renderHistory() {
    if (!this.versions.length) {
      replace(this.history, h("p", { class: "empty" }, STRINGS.noVersion));
      return;
    }
    const latest = this.versions[0].version;
    const rows = this.versions.map((v) =>
      h(
        "li",
        { class: "version-item", dataset: { version: String(v.version) } },
        h(
          "div",
          { class: "version-main" },
          h("span", { class: "version-number" }, STRINGS.short(v.version)),
          v.version === latest ? h("span", { class: "pill pill-running" }, STRINGS.inForcePill) : null,
          v.restored ? h("span", { class: "pill pill-muted version-rollback", title: STRINGS.rollbackTitle(v.restored) }, STRINGS.rollbackTo(v.restored)) : null,
          h("span", { class: "version-meta" }, humanize(v.published_by || "?"), " · ", timeEl(v.published_at)),
          v.checksum ? h("code", { class: "checksum", title: STRINGS.checksum(v.checksum) }, String(v.checksum).slice(0, 8)) : null,
        ),
        h(
          "div",
          { class: "version-actions" },
          h("button", { type: "button", class: "view small ghost", dataset: { version: String(v.version) }, "aria-label": STRINGS.viewLabel(v.version), onclick: () => this.view(v.version) }, STRINGS.view),
          v.version === latest
            ? null
            : h("button", { type: "button", class: "rollback small ghost", dataset: { version: String(v.version) }, "aria-label": STRINGS.rollBackLabel(v.version), onclick: () => this.rollback(v.version) }, STRINGS.rollBack),
        ),
      ),
    );
    replace(this.history, h("ul", { class: "versions" }, rows));
  }

  stash() {
    if (this.dirty()) this.stashed = this.text.value;
  }

  async view(version) {
    try {
      const found = await api("GET", `/api/v1/rules/versions/${encodeURIComponent(version)}`);
      if (!this.ctx.alive()) return;
      this.stash();
      this.setText(found.content || "");
      this.validate(true);
      const latest = this.versions[0] && this.versions[0].version;
      this.setStatusNode(
        h(
          "span",
          null,
          version === latest ? STRINGS.loadedInForce(version) : STRINGS.loaded(version),
          this.restoreButton(),
        ),
      );
    } catch (err) {
      if (this.ctx.alive()) this.setStatusNode(errorNotice(err));
    }
  }

  restoreButton() {
    if (this.stashed === null) return null;
    const draft = this.stashed;
    return h(
      "button",
      {
        type: "button",
        class: "link-button",
        id: "rules-restore-draft",
        onclick: () => {
          this.stashed = null;
          this.text.value = draft;
          this.renderGutter(true);
          this.validate(true);
          this.setStatus(STRINGS.editsRestored);
        },
      },
      ` ${STRINGS.restoreEdits}`,
    );
  }

  async rollback(version) {
    const ok = await confirmDialog(STRINGS.confirmRollBack(version), {
      title: STRINGS.confirmRollBackTitle,
      yes: STRINGS.confirmRollBackYes(version),
      danger: true,
    });
    if (!ok || !this.ctx.alive()) return;
    try {
      const result = await api("POST", "/api/v1/rules/rollback", { json: { version } });
      if (!this.ctx.alive()) return;
      toast(STRINGS.publishedToast(result.version), "ok");
      await this.reloadHistory();
      try {
        const found = await api("GET", `/api/v1/rules/versions/${encodeURIComponent(result.version)}`);
        if (!this.ctx.alive()) return;
        this.stash();
        this.setText(found.content || "");
        this.validate(true);
      } catch (_) {
        /* the status below still says what happened */
      }
      this.setStatusNode(h("span", { class: "ok" }, STRINGS.rolledBack(result.version, version), this.restoreButton()));
    } catch (err) {
      if (this.ctx.alive()) this.setStatusNode(errorNotice(err));
    }
  }

  // -------------------------------------------------------------- status

  setStatus(text, kind) {
    this.status.className = `status-line${kind ? " " + kind : ""}`;
    this.status.textContent = text;
  }

  setStatusNode(node) {
    this.status.className = "status-line";
    replace(this.status, node);
  }
}

// ---------------------------------------------------------------- reports

function byRule(report) {
  const list = report.by_rule;
  if (Array.isArray(list)) return list;
  if (list && typeof list === "object") return Object.entries(list).map(([rule, v]) => ({ rule, ...v }));
  return [];
}

function count(value) {
  return Array.isArray(value) ? value.length : Number(value) || 0;
}

function badgesOf(report) {
  if (report.badges !== undefined) return count(report.badges);
  return byRule(report).reduce((sum, r) => sum + (Number(r.badges) || 0), 0);
}

function totalCost(report) {
  return (Number(report.points_liability) || 0) + (Number(report.coupon_cost) || 0);
}

function reportView(report) {
  const rules = byRule(report);
  const outcomes = report.outcomes && typeof report.outcomes === "object" ? Object.entries(report.outcomes) : [];
  const stats = h(
    "dl",
    { class: "stats" },
    stat(STRINGS.events, num(report.events)),
    stat(STRINGS.customersRewarded, num(count(report.customers))),
    stat(STRINGS.points, num(report.points)),
    stat(STRINGS.pointsLiability, euros(report.points_liability)),
    stat(STRINGS.coupons, num(report.coupons)),
    stat(STRINGS.couponCost, euros(report.coupon_cost)),
  );
  const outcomeRow = outcomes.length
    ? h(
        "p",
        { class: "outcomes" },
        h("span", { class: "muted" }, STRINGS.decisions),
        outcomes.map(([k, v]) => h("span", { class: `pill pill-${k}` }, `${STRINGS.outcome(k)} ${num(v)}`)),
      )
    : null;
  const tableEl = rules.length
    ? h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data compact", id: "dry-run-table" },
          h("thead", null, h("tr", null, h("th", { scope: "col" }, STRINGS.rule), h("th", { scope: "col", class: "num" }, STRINGS.points), h("th", { scope: "col", class: "num" }, STRINGS.coupons), h("th", { scope: "col", class: "num" }, STRINGS.badges))),
          h(
            "tbody",
            null,
            rules.map((r) => h("tr", null, h("td", null, h("code", null, r.rule)), h("td", { class: "num" }, num(r.points)), h("td", { class: "num" }, num(r.coupons)), h("td", { class: "num" }, num(r.badges)))),
          ),
          h(
            "tfoot",
            null,
            h(
              "tr",
              null,
              h("th", { scope: "row" }, STRINGS.total),
              h("td", { class: "num" }, num(report.points)),
              h("td", { class: "num" }, num(report.coupons)),
              h("td", { class: "num" }, num(badgesOf(report))),
            ),
          ),
        ),
      )
    : h("p", { class: "empty" }, STRINGS.nothingAwarded);
  return h("div", { class: "report" }, stats, outcomeRow, tableEl);
}

function stat(label, value) {
  return h("div", { class: "stat" }, h("dt", null, label), h("dd", null, value));
}

function backtestView(result, days) {
  const cand = result.candidate || {};
  const cur = result.in_force || {};
  const rows = [
    [STRINGS.eventsReplayed, cand.events, cur.events, num],
    [STRINGS.customersRewarded, count(cand.customers), count(cur.customers), num],
    [STRINGS.points, cand.points, cur.points, num],
    [STRINGS.pointsLiability, cand.points_liability, cur.points_liability, euros],
    [STRINGS.coupons, cand.coupons, cur.coupons, num],
    [STRINGS.couponCost, cand.coupon_cost, cur.coupon_cost, euros],
    [STRINGS.badges, badgesOf(cand), badgesOf(cur), num],
  ];
  const delta = totalCost(cand) - totalCost(cur);
  const versionLabel = STRINGS.versionInForce(result.version_in_force);
  const tableEl = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data compact compare", id: "backtest-table" },
      h(
        "thead",
        null,
        h("tr", null, h("th", { scope: "col" }, ""), h("th", { scope: "col", class: "num" }, STRINGS.candidate), h("th", { scope: "col", class: "num" }, versionLabel), h("th", { scope: "col", class: "num" }, STRINGS.difference)),
      ),
      h(
        "tbody",
        null,
        rows.map(([label, a, b, format]) => {
          const diff = (Number(a) || 0) - (Number(b) || 0);
          return h(
            "tr",
            null,
            h("th", { scope: "row" }, label),
            h("td", { class: "num" }, format(a)),
            h("td", { class: "num" }, format(b)),
            h("td", { class: `num diff ${diff > 0 ? "up" : diff < 0 ? "down" : ""}` }, signed(diff, format)),
          );
        }),
      ),
      h(
        "tfoot",
        null,
        h(
          "tr",
          { class: "cost-row" },
          h("th", { scope: "row" }, STRINGS.totalCost),
          h("td", { class: "num" }, euros(totalCost(cand))),
          h("td", { class: "num" }, euros(totalCost(cur))),
          h("td", { class: `num diff ${delta > 0 ? "up" : delta < 0 ? "down" : ""}` }, signed(delta, euros)),
        ),
      ),
    ),
  );
  const since = result.since ? h("span", null, STRINGS.since, timeEl(result.since)) : null;
  const headline = h(
    "p",
    { class: `cost-delta ${delta > 0 ? "up" : delta < 0 ? "down" : "same"}` },
    Math.abs(delta) < 0.005
      ? STRINGS.sameCost(days)
      : (delta > 0 ? STRINGS.costMore : STRINGS.costLess)(euros(Math.abs(delta)), days),
  );
  const changed = ruleChanges(cand, cur);
  return h(
    "div",
    { class: "report" },
    headline,
    h("p", { class: "muted small" }, STRINGS.replayed(num(cand.events)), since, STRINGS.against(versionLabel)),
    tableEl,
    changed,
  );
}

function ruleChanges(cand, cur) {
  const a = new Map(byRule(cand).map((r) => [r.rule, r]));
  const b = new Map(byRule(cur).map((r) => [r.rule, r]));
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const rows = [];
  for (const name of names) {
    const x = a.get(name) || {};
    const y = b.get(name) || {};
    const parts = [];
    for (const key of ["points", "coupons", "badges"]) {
      const p = Number(x[key]) || 0;
      const q = Number(y[key]) || 0;
      if (p !== q) parts.push(STRINGS.payoutChange(STRINGS[key], num(q), num(p)));
    }
    if (parts.length) rows.push(h("li", null, h("code", null, name), ": ", parts.join(", ")));
  }
  if (!rows.length) return h("p", { class: "muted small" }, STRINGS.noPayoutChanged);
  return h("div", { class: "rule-changes" }, h("h3", null, STRINGS.payoutChanged), h("ul", null, rows));
}

// ---------------------------------------------------------------- sample events

function iso(daysAgo, hour) {
  const d = new Date(Date.now() - daysAgo * 86400000);
  d.setUTCHours(hour, 12, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function sampleEvents() {
  const order = {
    id: "A-10231",
    total: 64.9,
    currency: "EUR",
    items: [
      { sku: "TEA-GREEN-100", name: "Sencha green tea 100 g", quantity: 2, price: 12.5 },
      { sku: "POT-CAST-08", name: "Cast-iron teapot 0.8 l", quantity: 1, price: 39.9 },
    ],
  };
  return [
    {
      id: "evt-90001",
      type: "purchase",
      occurred_at: iso(12, 9),
      customer: { id: "c-1042", name: "Léa Martin", language: "fr", timezone: "Europe/Paris" },
      order,
    },
    {
      id: "evt-90002",
      type: "purchase",
      occurred_at: iso(10, 17),
      customer: { id: "c-2077", name: "Tom Baker", language: "en", timezone: "Europe/London" },
      order: { id: "A-10244", total: 129.0, currency: "EUR", items: [{ sku: "KETTLE-GOOSE", name: "Gooseneck kettle", quantity: 1, price: 129.0 }] },
    },
    {
      id: "evt-90003",
      type: "delivery",
      occurred_at: iso(3, 14),
      customer: { id: "c-1042" },
      order,
    },
  ];
}
