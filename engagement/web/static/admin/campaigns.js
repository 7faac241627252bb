// Campaigns (#/campaigns, #/campaigns/new, #/campaigns/<id>, #/campaigns/<id>/results):
// list, the campaign form with a live audience size and a bilingual preview, and results.

import {
  ApiError,
  STAGES,
  api,
  confirmDialog,
  debounce,
  describe,
  errorNotice,
  euros,
  h,
  humanize,
  newId,
  num,
  percent,
  pill,
  replace,
  spinner,
  timeEl,
  toast,
} from "./core.js";
import { PALETTE, alpha, barLabels } from "./charts.js";

const LIVE_DELAY_MS = 500;

// mirrors engagement/nudges/audience.py
const FIELDS = {
  stage: { label: "stage", type: "choice", choices: STAGES },
  fusion: { label: "fusion score", type: "number", hint: "0–100" },
  days_since_purchase: { label: "days since last purchase", type: "number" },
  days_since_message: { label: "days since last message", type: "number" },
  badges: { label: "badges", type: "set" },
  language: { label: "language", type: "choice", choices: ["fr", "en"] },
  channel: { label: "channel", type: "text", suggestions: ["socketio", "telegram", "slack", "facebook", "twilio", "whatsapp"] },
  consent: { label: "opted in to news", type: "flag" },
  club_member: { label: "club member", type: "flag" },
};
const OPERATORS = {
  number: ["eq", "ne", "gt", "gte", "lt", "lte"],
  choice: ["eq", "ne", "in", "not_in"],
  text: ["eq", "ne", "in", "not_in"],
  flag: ["eq"],
  set: ["contains", "not_contains"],
};
const OP_LABELS = {
  eq: "is",
  ne: "is not",
  gt: "more than",
  gte: "at least",
  lt: "less than",
  lte: "at most",
  in: "is one of",
  not_in: "is none of",
  contains: "include",
  not_contains: "do not include",
};
// mirrors engagement/nudges/campaigns.py TRIGGER_EVENTS
const TRIGGER_EVENTS = ["purchase", "first_purchase", "delivery", "review_approved", "idea_approved"];
const VARIABLES = ["first_name", "points", "points_text", "stage", "next_badge", "coupon_code", "coupon_value"];
const EDITABLE = ["draft", "paused"];
const PLACEHOLDER_SCHEDULE = { cron: "0 10 * * 1" };

// ================================================================ list

export async function renderList(ctx) {
  const data = await api("GET", "/api/v1/campaigns");
  if (!ctx.alive()) return;
  const campaigns = (Array.isArray(data.campaigns) ? data.campaigns : []).slice().sort((a, b) => String(b.created_at || "").localeCompare(String(a.created_at || "")));
  const showArchived = h("input", { type: "checkbox", id: "show-archived", name: "show_archived" });
  const holder = h("div", { id: "campaign-list" });
  const draw = () => {
    const rows = campaigns.filter((c) => showArchived.checked || c.status !== "archived");
    if (!rows.length) {
      replace(
        holder,
        h(
          "div",
          { class: "empty-state" },
          h("p", { class: "empty" }, campaigns.length ? "Only archived campaigns." : "No campaign yet."),
          h("a", { href: "#/campaigns/new", class: "button primary" }, "Create the first one"),
        ),
      );
      return;
    }
    replace(
      holder,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data campaigns" },
          h(
            "thead",
            null,
            h("tr", null, ["name", "status", "class", "schedule", "next run", "created by", ""].map((label) => h("th", { scope: "col" }, label))),
          ),
          h(
            "tbody",
            null,
            rows.map((c) => {
              const spec = c.spec || {};
              return h(
                "tr",
                { dataset: { id: c.id } },
                h("td", null, h("a", { href: `#/campaigns/${encodeURIComponent(c.id)}`, class: "strong" }, c.name || spec.name || c.id)),
                h("td", null, pill(c.status, c.status), c.status_reason ? h("div", { class: "muted small" }, c.status_reason) : null),
                h("td", null, spec.class || "marketing"),
                h("td", { class: "small" }, scheduleText(spec.schedule)),
                h("td", null, c.next_run_at ? timeEl(c.next_run_at) : "—"),
                h("td", null, humanize(c.created_by || "—"), h("div", { class: "muted small" }, timeEl(c.created_at))),
                h("td", { class: "row-actions" }, h("a", { href: `#/campaigns/${encodeURIComponent(c.id)}/results` }, "Results")),
              );
            }),
          ),
        ),
      ),
    );
  };
  showArchived.addEventListener("change", draw);
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-campaigns" },
      h(
        "div",
        { class: "page-head" },
        h("div", null, h("h1", null, "Campaigns"), h("p", { class: "subtitle" }, "Nudges that move customers one stage up: who, what, when, and whether it worked.")),
        h("div", { class: "page-tools" }, h("a", { href: "#/campaigns/new", class: "button primary", id: "campaign-new" }, "New campaign")),
      ),
      h(
        "section",
        { class: "card" },
        h("header", { class: "card-head" }, h("h2", null, (data.text && data.text.count) || num(campaigns.length)), h("label", { class: "checkbox", for: "show-archived" }, showArchived, " show archived")),
        holder,
      ),
    ),
  );
  draw();
}

function scheduleText(schedule) {
  if (!schedule || typeof schedule !== "object") return "—";
  if (schedule.once) return h("span", null, "once, ", timeEl(schedule.once));
  if (schedule.cron) return h("span", null, "cron ", h("code", null, schedule.cron));
  if (schedule.after_event) {
    const event = typeof schedule.after_event === "object" ? schedule.after_event.event || JSON.stringify(schedule.after_event) : schedule.after_event;
    return `${num(schedule.after_hours)} h after ${humanize(event)}`;
  }
  return "—";
}

// ================================================================ form

export async function renderForm(ctx, id) {
  let campaign = null;
  if (id) {
    campaign = await api("GET", `/api/v1/campaigns/${encodeURIComponent(id)}`);
    if (!ctx.alive()) return;
  }
  new CampaignForm(ctx, campaign).mount();
}

class CampaignForm {
  constructor(ctx, campaign) {
    this.ctx = ctx;
    this.campaign = campaign;
    this.status = campaign ? campaign.status : null;
    this.controls = {};
    this.conditions = [];
    this.liveSeq = { audience: 0, preview: 0 };
    this.lastKey = { audience: null, preview: null };
    this.lastMessage = null;
    this.dirty = false;
    // which customers the hold-out takes: the live audience of a campaign being written
    // predicts the very hold-out it will have once saved (README: campaigns)
    const spec = (campaign && campaign.spec) || {};
    this.holdoutSeed = spec.holdout_seed || (campaign ? campaign.id : newSeed());
    this.waiting = null; // a finished campaign's results, to know whether nudges still wait
  }

  get editable() {
    return !this.campaign || EDITABLE.includes(this.status);
  }

  // -------------------------------------------------------------- building

  mount() {
    const spec = (this.campaign && this.campaign.spec) || {};
    const c = this.controls;
    c.name = h("input", { name: "name", type: "text", maxlength: "120", required: true, autocomplete: "off", placeholder: "e.g. Come back", value: spec.name || (this.campaign && this.campaign.name) || "" });
    c.class = h(
      "select",
      { name: "class", value: spec.class || "marketing" },
      h("option", { value: "marketing" }, "marketing"),
      h("option", { value: "service" }, "service"),
    );
    const messages = spec.messages || {};
    c.message_fr = h("textarea", { name: "message_fr", rows: 4, lang: "fr", placeholder: "Bonjour {{ first_name }}, vos {{ points }} points vous attendent !", value: messages.fr || "" });
    c.message_en = h("textarea", { name: "message_en", rows: 4, lang: "en", placeholder: "Hello {{ first_name }}, your {{ points }} points are waiting!", value: messages.en || "" });
    this.lastMessage = c.message_en;

    // audience
    const audience = spec.audience && typeof spec.audience === "object" ? spec.audience : { all: [] };
    const mode = audience.any ? "any" : "all";
    const members = Array.isArray(audience[mode]) ? audience[mode] : [];
    c.audience_mode = h("select", { name: "audience_mode", value: mode }, h("option", { value: "all" }, "all"), h("option", { value: "any" }, "any"));
    this.conditionList = h("div", { class: "conditions", id: "audience-conditions" });
    this.audienceError = h("p", { class: "field-error", id: "audience-error", role: "alert" });
    this.addButton = h("button", { type: "button", id: "audience-add", class: "ghost small", onclick: () => this.addCondition({ field: "stage", op: "eq", value: "choice" }, true) }, "+ Add a condition");
    for (const m of members) this.addCondition(m, false);

    // schedule
    const schedule = spec.schedule || {};
    const kind = schedule.cron !== undefined ? "cron" : schedule.after_event !== undefined ? "after_event" : "once";
    c.schedule_kind = h(
      "select",
      { name: "schedule_kind", value: kind },
      h("option", { value: "once" }, "once, at a date and time"),
      h("option", { value: "cron" }, "recurring (cron)"),
      h("option", { value: "after_event" }, "some hours after an event"),
    );
    c.schedule_once = h("input", { name: "schedule_once", type: "datetime-local", value: schedule.once ? isoToLocal(schedule.once) : "" });
    c.schedule_cron = h("input", { name: "schedule_cron", type: "text", class: "mono", placeholder: "0 10 * * 1", spellcheck: "false", value: schedule.cron || "" });
    const afterEvent = typeof schedule.after_event === "object" && schedule.after_event ? schedule.after_event.event : schedule.after_event;
    c.schedule_after_event = h(
      "select",
      { name: "schedule_after_event", value: afterEvent || "delivery" },
      TRIGGER_EVENTS.map((e) => h("option", { value: e }, humanize(e))),
    );
    c.schedule_after_hours = h("input", { name: "schedule_after_hours", type: "number", min: "0", max: "2160", step: "1", class: "narrow", value: schedule.after_hours !== undefined ? String(schedule.after_hours) : "48" });

    // guards and extras
    c.holdout_percent = h("input", { name: "holdout_percent", type: "number", min: "0", max: "50", step: "0.5", class: "narrow", value: spec.holdout_percent !== undefined ? String(spec.holdout_percent) : "10" });
    c.window_days = h("input", { name: "window_days", type: "number", min: "1", max: "90", step: "1", class: "narrow", value: spec.window_days !== undefined ? String(spec.window_days) : "7" });
    c.coupon = h("input", { name: "coupon", type: "text", class: "mono", placeholder: "none", autocomplete: "off", value: spec.coupon || "" });
    c.coupon_budget = h("input", { name: "coupon_budget", type: "number", min: "0", step: "1", class: "narrow", placeholder: "no limit", value: optionalNumber(spec.coupon_budget) });
    c.points = h("input", { name: "points", type: "number", min: "0", step: "1", class: "narrow", placeholder: "0", value: spec.points ? String(spec.points) : "" });
    c.points_budget = h("input", { name: "points_budget", type: "number", min: "0", step: "1", class: "narrow", placeholder: "no limit", value: optionalNumber(spec.points_budget) });

    // live panels
    this.audienceSize = h("div", { id: "audience-size", class: "audience-size", "aria-live": "polite" }, h("span", { class: "muted" }, "…"));
    this.previewCustomer = h("input", { id: "preview-customer", name: "preview_customer", type: "text", class: "mono", placeholder: "any customer", autocomplete: "off" });
    this.previewFr = h("div", { id: "preview-fr", class: "bubble", lang: "fr", "aria-live": "polite" });
    this.previewEn = h("div", { id: "preview-en", class: "bubble", lang: "en", "aria-live": "polite" });
    this.previewNote = h("p", { class: "muted small", id: "preview-note" });
    this.testNote = h("p", { class: "muted small", id: "test-send-note", role: "status", "aria-live": "polite" });

    this.message = h("div", { id: "campaign-message", class: "form-message", role: "status", "aria-live": "polite" });
    this.buttons = {
      save: h("button", { type: "submit", id: "campaign-save", class: "ghost" }, this.campaign ? "Save" : "Save draft"),
      schedule: h("button", { type: "button", id: "campaign-schedule", class: "primary", onclick: () => this.schedule() }, "Save & schedule"),
      pause: h("button", { type: "button", id: "campaign-pause", class: "warning", onclick: () => this.action("pause") }, "Pause"),
      resume: h("button", { type: "button", id: "campaign-resume", class: "primary", onclick: () => this.resume() }, "Resume"),
      archive: h("button", { type: "button", id: "campaign-archive", class: "danger-ghost", onclick: () => this.archive() }, "Archive"),
      test: h("button", { type: "button", id: "campaign-test-send", class: "ghost small", onclick: () => this.testSend() }, "Send a test"),
    };

    const form = this.buildForm();
    this.form = form;
    const title = this.campaign ? this.campaign.name || spec.name || this.campaign.id : "New campaign";
    this.statusPill = h("span", { id: "campaign-status" });
    replace(
      this.ctx.main,
      h(
        "div",
        { class: "page page-campaign" },
        h(
          "div",
          { class: "page-head" },
          h(
            "div",
            null,
            h("p", { class: "crumbs" }, h("a", { href: "#/campaigns" }, "Campaigns"), " / ", this.campaign ? this.campaign.id : "new"),
            h("h1", { id: "campaign-title" }, title, " ", this.statusPill),
          ),
          h("div", { class: "page-tools" }, this.campaign ? h("a", { href: `#/campaigns/${encodeURIComponent(this.campaign.id)}/results`, class: "button ghost", id: "campaign-results-link" }, "Results") : null),
        ),
        form,
      ),
    );
    this.refreshState();
    this.showScheduleKind();
    this.wire();
    this.live.flush();
    this.loadWaiting();
  }

  buildForm() {
    const c = this.controls;
    const f = (label, name, options = {}) => this.field(label, c[name], { ...options, name });
    const variables = h(
      "div",
      { class: "variables", role: "group", "aria-label": "Insert a variable" },
      h("span", { class: "muted small" }, "Insert: "),
      VARIABLES.map((v) =>
        h(
          "button",
          {
            type: "button",
            class: "chip chip-button",
            dataset: { variable: v },
            onmousedown: (event) => event.preventDefault(),
            onclick: () => this.insertVariable(v),
          },
          `{{ ${v} }}`,
        ),
      ),
    );
    const tz = timezoneLabel();

    this.fieldset = h(
      "fieldset",
      { class: "form-fieldset" },
      h("legend", { class: "sr-only" }, "Campaign"),
      h(
        "section",
        { class: "card form-section" },
        h("header", { class: "card-head" }, h("h2", null, "The campaign")),
        h("div", { class: "form-row" }, f("Name", "name", { class: "grow" }), f("Class", "class", { hint: "marketing: opted-in customers only, counts toward the cap · service: order news, apologies" })),
      ),
      h(
        "section",
        { class: "card form-section" },
        h("header", { class: "card-head" }, h("div", null, h("h2", null, "Message"), h("p", { class: "card-sub" }, "One template per language, personalised with the customer's data. A customer missing a value is skipped, never sent a broken sentence."))),
        h("div", { class: "form-row two" }, f("French", "message_fr"), f("English", "message_en")),
        variables,
      ),
      h(
        "section",
        { class: "card form-section" },
        h("header", { class: "card-head" }, h("div", null, h("h2", null, "Audience"), h("p", { class: "card-sub" }, "Who receives it. No condition: every customer (consent, caps, quiet hours and the hold-out still apply)."))),
        h(
          "div",
          { class: "audience-mode", id: "audience-builder" },
          h("label", { for: this.ensureId(c.audience_mode) }, "Customers matching"),
          c.audience_mode,
          h("span", null, "of these conditions:"),
        ),
        this.conditionList,
        this.audienceError,
        this.addButton,
      ),
      h(
        "section",
        { class: "card form-section" },
        h("header", { class: "card-head" }, h("h2", null, "When")),
        h(
          "div",
          { class: "form-row" },
          f("Schedule", "schedule_kind"),
          h("div", { class: "schedule-once", dataset: { kind: "once" } }, f("Date and time", "schedule_once", { hint: `your time (${tz})` })),
          h("div", { class: "schedule-cron", dataset: { kind: "cron" } }, f("Cron expression", "schedule_cron", { hint: "minute hour day month weekday (Sunday = 0), in the brand's time zone" })),
          h(
            "div",
            { class: "schedule-after form-row", dataset: { kind: "after_event" } },
            f("After the event", "schedule_after_event"),
            f("Delay (hours)", "schedule_after_hours"),
          ),
        ),
        this.scheduleError = h("p", { class: "field-error", id: "schedule-error", role: "alert" }),
      ),
      h(
        "section",
        { class: "card form-section" },
        h("header", { class: "card-head" }, h("div", null, h("h2", null, "Measure and limits"), h("p", { class: "card-sub" }, "The hold-out (the same customers on every run) gets nothing, to measure the uplift."))),
        h(
          "div",
          { class: "form-row wrap" },
          f("Hold-out %", "holdout_percent", { hint: "0 to 50" }),
          f("Conversion window (days)", "window_days", { hint: "1 to 90" }),
          f("Coupon template", "coupon", { hint: "optional, e.g. welcome_back_5" }),
          f("Coupon budget", "coupon_budget", { hint: "coupons minted at most" }),
          f("Points with the nudge", "points", { hint: "optional" }),
          f("Points budget", "points_budget", { hint: "points given at most" }),
        ),
      ),
    );

    const side = h(
      "aside",
      { class: "form-side" },
      h(
        "section",
        { class: "card live-card" },
        h("header", { class: "card-head" }, h("div", null, h("h2", null, "Audience now"), h("p", { class: "card-sub" }, "If it ran right now."))),
        this.audienceSize,
      ),
      h(
        "section",
        { class: "card live-card" },
        h("header", { class: "card-head" }, h("h2", null, "Preview")),
        this.field("For customer", this.previewCustomer, { hint: "optional: a customer id; otherwise sample values", name: "preview_customer" }),
        h(
          "div",
          { class: "previews" },
          h("figure", { class: "preview" }, h("figcaption", null, "FR"), this.previewFr),
          h("figure", { class: "preview" }, h("figcaption", null, "EN"), this.previewEn),
        ),
        this.previewNote,
        h(
          "div",
          { class: "test-send" },
          this.buttons.test,
          h("p", { class: "muted small" }, this.campaign ? "to this customer, now, in their language, guards aside; a coupon shows as a sample code, never minted" : "save the campaign to send a test"),
          this.testNote,
        ),
      ),
      h(
        "section",
        { class: "card actions-card" },
        this.message,
        h("div", { class: "actions" }, this.buttons.save, this.buttons.schedule, this.buttons.resume, this.buttons.pause, this.buttons.archive),
      ),
    );

    const form = h("form", { id: "campaign-form", class: "campaign-form", novalidate: true }, h("div", { class: "form-main" }, this.fieldset), side);
    return form;
  }

  ensureId(el) {
    if (!el.id) el.id = newId("f");
    return el.id;
  }

  field(label, control, options) {
    this.ensureId(control);
    const error = h("p", { class: "field-error", id: `${control.id}-error`, role: "alert" });
    const hint = options.hint ? h("p", { class: "hint", id: `${control.id}-hint` }, options.hint) : null;
    control.setAttribute("aria-describedby", [error.id, hint && hint.id].filter(Boolean).join(" "));
    const wrapper = h("div", { class: `field${options.class ? " " + options.class : ""}`, dataset: { field: options.name } }, h("label", { for: control.id }, label), control, hint, error);
    control._error = error;
    control._wrapper = wrapper;
    return wrapper;
  }

  // -------------------------------------------------------------- audience rows

  addCondition(node, focus) {
    const row = new ConditionRow(node, () => this.removeCondition(row), () => this.changed());
    this.conditions.push(row);
    this.conditionList.appendChild(row.el);
    this.renumber();
    if (focus) {
      row.focus();
      this.changed();
    }
  }

  removeCondition(row) {
    this.conditions = this.conditions.filter((r) => r !== row);
    row.el.remove();
    this.renumber();
    this.changed();
    this.addButton.focus();
  }

  renumber() {
    this.conditions.forEach((row, i) => row.setIndex(i));
    this.conditionList.classList.toggle("is-empty", !this.conditions.length);
    if (!this.conditions.length) {
      if (!this.everyone) this.everyone = h("p", { class: "muted everyone" }, "Everyone.");
      this.conditionList.appendChild(this.everyone);
    } else if (this.everyone) this.everyone.remove();
  }

  // -------------------------------------------------------------- reading the form

  readSpec() {
    const c = this.controls;
    const spec = {
      name: c.name.value.trim(),
      class: c.class.value,
      messages: { fr: c.message_fr.value, en: c.message_en.value },
      audience: { [c.audience_mode.value]: this.conditions.map((row) => row.read()) },
      schedule: this.readSchedule(),
    };
    const numberOf = (el, integer) => {
      const raw = el.value.trim();
      if (raw === "") return undefined;
      const n = Number(raw);
      if (!Number.isFinite(n)) return raw;
      return integer && Number.isInteger(n) ? n : n;
    };
    const set = (key, value) => {
      if (value !== undefined) spec[key] = value;
    };
    set("holdout_percent", numberOf(c.holdout_percent));
    set("window_days", numberOf(c.window_days, true));
    if (c.coupon.value.trim()) spec.coupon = c.coupon.value.trim();
    set("coupon_budget", numberOf(c.coupon_budget, true));
    set("points", numberOf(c.points, true));
    set("points_budget", numberOf(c.points_budget, true));
    spec.holdout_seed = this.holdoutSeed;
    return spec;
  }

  readSchedule() {
    const c = this.controls;
    const kind = c.schedule_kind.value;
    if (kind === "cron") return { cron: c.schedule_cron.value.trim() };
    if (kind === "after_event") {
      const hours = c.schedule_after_hours.value.trim();
      return { after_event: c.schedule_after_event.value, after_hours: hours === "" ? null : Number(hours) };
    }
    return { once: c.schedule_once.value ? localToIso(c.schedule_once.value) : "" };
  }

  scheduleComplete(schedule) {
    if (schedule.cron !== undefined) return /^\S+(\s+\S+){4}$/.test(schedule.cron);
    if (schedule.after_event !== undefined) return schedule.after_hours !== null && Number.isFinite(schedule.after_hours);
    return Boolean(schedule.once);
  }

  /** The spec for the live endpoints: an unfinished name or schedule must not hide the audience. */
  liveSpec(placeholderMessages) {
    const spec = this.readSpec();
    if (!spec.name) spec.name = "untitled";
    if (!this.scheduleComplete(spec.schedule)) spec.schedule = { ...PLACEHOLDER_SCHEDULE };
    if (placeholderMessages || !spec.messages.fr.trim() || !spec.messages.en.trim()) {
      spec.messages = { fr: spec.messages.fr.trim() && !placeholderMessages ? spec.messages.fr : "Bonjour", en: spec.messages.en.trim() && !placeholderMessages ? spec.messages.en : "Hello" };
    }
    return spec;
  }

  // -------------------------------------------------------------- events

  wire() {
    this.live = debounce(() => {
      this.refreshAudience();
      this.refreshPreview();
    }, LIVE_DELAY_MS);
    this.ctx.cleanup(() => this.live.cancel());
    const onChange = (event) => {
      if (event.target === this.previewCustomer) {
        this.live();
        return;
      }
      this.changed(event.target);
    };
    this.form.addEventListener("input", onChange);
    this.form.addEventListener("change", (event) => {
      if (event.target === this.controls.schedule_kind) this.showScheduleKind();
      onChange(event);
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    for (const el of [this.controls.message_fr, this.controls.message_en]) el.addEventListener("focus", () => (this.lastMessage = el));
  }

  changed(target) {
    this.dirty = true;
    if (target && target._error && target._error.textContent) this.clearError(target);
    this.live();
  }

  showScheduleKind() {
    const kind = this.controls.schedule_kind.value;
    for (const el of this.form.querySelectorAll("[data-kind]")) el.hidden = el.dataset.kind !== kind;
  }

  insertVariable(name) {
    const el = this.lastMessage || this.controls.message_en;
    if (el.disabled) return;
    const text = `{{ ${name} }}`;
    el.focus();
    el.setRangeText(text, el.selectionStart, el.selectionEnd, "end");
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // -------------------------------------------------------------- live audience and preview

  async refreshAudience(retry = false) {
    const spec = this.liveSpec(retry);
    const key = JSON.stringify(spec);
    if (!retry && key === this.lastKey.audience) return;
    this.lastKey.audience = key;
    const seq = ++this.liveSeq.audience;
    this.audienceSize.classList.add("updating");
    try {
      const result = await api("POST", "/api/v1/campaigns/audience", { json: spec });
      if (!this.ctx.alive() || seq !== this.liveSeq.audience) return;
      this.audienceSize.classList.remove("updating");
      this.clearAudienceErrors();
      replace(this.audienceSize, audienceView(result));
    } catch (err) {
      if (!this.ctx.alive() || seq !== this.liveSeq.audience) return;
      this.audienceSize.classList.remove("updating");
      const field = err instanceof ApiError && err.status === 422 ? String(err.body.field || "") : null;
      if (field !== null && /^messages/.test(field) && !retry) {
        this.refreshAudience(true);
        return;
      }
      if (field !== null && /^(audience|holdout_percent|class|coupon|window_days|points)/.test(field)) {
        this.showFieldError(field, err.body.reason || "invalid", false);
        replace(this.audienceSize, h("p", { class: "muted" }, "Fix the highlighted field to size the audience."));
        return;
      }
      replace(this.audienceSize, h("div", { class: "audience-error" }, errorNotice(err)));
    }
  }

  clearAudienceErrors() {
    this.audienceError.textContent = "";
    for (const row of this.conditions) row.setError("");
    for (const name of ["holdout_percent", "class", "coupon", "coupon_budget", "points", "points_budget", "window_days"]) this.clearError(this.controls[name]);
  }

  async refreshPreview() {
    const c = this.controls;
    if (!c.message_fr.value.trim() && !c.message_en.value.trim()) {
      this.lastKey.preview = null;
      replace(this.previewFr, h("span", { class: "muted" }, "Write the French message."));
      replace(this.previewEn, h("span", { class: "muted" }, "Write the English message."));
      this.previewNote.textContent = "";
      return;
    }
    const body = { campaign: this.liveSpec(false) };
    const customer = this.previewCustomer.value.trim();
    if (customer) body.customer_id = customer;
    const key = JSON.stringify(body);
    if (key === this.lastKey.preview) return;
    this.lastKey.preview = key;
    const seq = ++this.liveSeq.preview;
    this.previewFr.classList.add("updating");
    this.previewEn.classList.add("updating");
    try {
      const result = await api("POST", "/api/v1/campaigns/preview", { json: body });
      if (!this.ctx.alive() || seq !== this.liveSeq.preview) return;
      this.clearError(c.message_fr);
      this.clearError(c.message_en);
      this.clearError(this.previewCustomer);
      replace(this.previewFr, result.fr ?? "");
      replace(this.previewEn, result.en ?? "");
      this.previewNote.textContent = result.customer_id ? `as customer ${result.customer_id} will read it` : "with sample values: name a customer to see theirs";
    } catch (err) {
      if (!this.ctx.alive() || seq !== this.liveSeq.preview) return;
      const field = err instanceof ApiError && err.status === 422 ? String(err.body.field || "") : null;
      const reason = err instanceof ApiError ? err.body.reason || err.body.error : describe(err);
      if (field === "messages.fr" || field === "messages.en") {
        this.showFieldError(field, reason, false);
        const box = field === "messages.fr" ? this.previewFr : this.previewEn;
        const other = field === "messages.fr" ? this.previewEn : this.previewFr;
        replace(box, h("span", { class: "preview-error" }, `Template error: ${reason}`));
        replace(other, h("span", { class: "muted" }, "—"));
        this.previewNote.textContent = "";
      } else if (field === "customer_id" || field === "messages") {
        if (field === "customer_id" && customer) this.showFieldError("preview_customer", reason, false);
        replace(this.previewFr, h("span", { class: "muted" }, "—"));
        replace(this.previewEn, h("span", { class: "muted" }, "—"));
        this.previewNote.textContent = reason || "";
      } else {
        replace(this.previewFr, h("span", { class: "preview-error" }, describe(err)));
        replace(this.previewEn, h("span", { class: "muted" }, "—"));
        this.previewNote.textContent = "";
      }
    } finally {
      if (seq === this.liveSeq.preview) {
        this.previewFr.classList.remove("updating");
        this.previewEn.classList.remove("updating");
      }
    }
  }

  // -------------------------------------------------------------- errors

  controlFor(field) {
    const c = this.controls;
    if (field === "preview_customer" || field === "customer_id") return this.previewCustomer;
    if (field === "messages.fr" || field === "messages") return c.message_fr;
    if (field === "messages.en") return c.message_en;
    if (field.startsWith("schedule")) {
      const sub = field.split(".")[1];
      if (sub === "once") return c.schedule_once;
      if (sub === "cron") return c.schedule_cron;
      if (sub === "after_event") return c.schedule_after_event;
      if (sub === "after_hours") return c.schedule_after_hours;
      return null; // the schedule as a whole
    }
    return c[field] || null;
  }

  /** Shows a 422 {field, reason} next to the field it names; returns the element to focus. */
  showFieldError(field, reason, focus = true) {
    let target = null;
    const match = /^audience\.(?:all|any)\[(\d+)\]/.exec(field);
    if (match && this.conditions[Number(match[1])]) {
      const row = this.conditions[Number(match[1])];
      row.setError(`${reason}`);
      target = row.focusTarget(field);
    } else if (field.startsWith("audience")) {
      this.audienceError.textContent = reason;
      target = this.controls.audience_mode;
    } else if (field === "schedule") {
      this.scheduleError.textContent = reason;
      target = this.controls.schedule_kind;
    } else {
      const control = this.controlFor(field);
      if (control && control._error) {
        control._error.textContent = reason;
        control._wrapper.classList.add("has-error");
        control.setAttribute("aria-invalid", "true");
        target = control;
      }
    }
    if (!target) this.setMessage(`${field || "the campaign"}: ${reason}`, "error");
    if (focus && target && !target.disabled) target.focus();
    return target;
  }

  clearError(control) {
    if (!control || !control._error) return;
    control._error.textContent = "";
    control._wrapper.classList.remove("has-error");
    control.removeAttribute("aria-invalid");
  }

  clearAllErrors() {
    for (const control of Object.values(this.controls)) this.clearError(control);
    this.clearError(this.previewCustomer);
    this.audienceError.textContent = "";
    this.scheduleError.textContent = "";
    for (const row of this.conditions) row.setError("");
  }

  setMessage(text, kind) {
    this.message.className = `form-message${kind ? " " + kind : ""}`;
    this.message.textContent = text;
  }

  handleError(err, doing) {
    if (err instanceof ApiError && err.status === 422 && err.body.field !== undefined) {
      const target = this.showFieldError(String(err.body.field), err.body.reason || "invalid");
      this.setMessage(target ? `Not ${doing}: check the highlighted field.` : `Not ${doing}.`, "error");
      return;
    }
    if (err instanceof ApiError && err.status === 403) {
      replace(this.message, errorNotice(err));
      return;
    }
    this.setMessage(`Not ${doing}: ${describe(err)}`, "error");
  }

  // -------------------------------------------------------------- actions

  refreshState() {
    const status = this.status;
    replace(this.statusPill, status ? pill(status, status) : pill("new", "draft"));
    if (this.campaign && this.campaign.status_reason && status === "paused") {
      this.statusPill.appendChild(h("span", { class: "status-reason" }, ` ${this.campaign.status_reason}`));
    }
    const editable = this.editable;
    this.fieldset.disabled = !editable;
    this.addButton.disabled = !editable;
    const b = this.buttons;
    b.save.hidden = !editable;
    b.save.textContent = !this.campaign || status === "draft" ? "Save draft" : "Save";
    b.schedule.hidden = !(!this.campaign || status === "draft");
    b.resume.hidden = status !== "paused";
    // a finished campaign plans nothing more: pausing it only holds nudges still waiting
    const waiting = this.waiting && Number(this.waiting.count) > 0;
    b.pause.hidden = !(["scheduled", "running"].includes(status) || (status === "done" && waiting));
    b.archive.hidden = !this.campaign || status === "archived";
    b.test.disabled = !this.campaign;
    if (!editable && this.campaign) this.setMessage(this.stateMessage(status, waiting), "info");
  }

  stateMessage(status, waiting) {
    if (status === "archived") return "This campaign is archived.";
    if (status === "done") return waiting ? `This campaign has run: ${this.waiting.text}, which Pause holds.` : "This campaign has run: nothing more will be sent. Its results are on the results page.";
    return `This campaign is ${status}: pause it to edit.`;
  }

  /** A finished campaign: whether nudges still wait to go out (Pause holds them). */
  async loadWaiting() {
    if (!this.campaign || this.status !== "done") return;
    try {
      const results = await api("GET", `/api/v1/campaigns/${encodeURIComponent(this.campaign.id)}/results`);
      if (!this.ctx.alive()) return;
      const count = Object.values(results.pending_by_reason || {}).reduce((a, b) => a + (Number(b) || 0), 0);
      this.waiting = { count, text: (results.text && results.text.waiting) || num(count) };
      this.refreshState();
    } catch (_) {
      // the page stays usable without it: Pause stays hidden
    }
  }

  async testSend() {
    if (!this.campaign) return;
    const customer = this.previewCustomer.value.trim();
    this.clearError(this.previewCustomer);
    if (!customer) {
      this.showFieldError("preview_customer", "the customer to send the test to");
      return;
    }
    this.busy(true);
    this.testNote.textContent = "Sending…";
    try {
      if (this.dirty && this.editable) {
        this.campaign = await this.persist();
        this.dirty = false;
      }
      const sent = await api("POST", `/api/v1/campaigns/${encodeURIComponent(this.campaign.id)}/test-send`, { json: { customer_id: customer } });
      if (!this.ctx.alive()) return;
      const code = sent.coupon_code ? ` (sample code ${sent.coupon_code}: no coupon minted)` : "";
      this.testNote.textContent = `Sent to ${sent.sent_to} on ${sent.channel}: “${sent.text}”${code}`;
      toast("Test sent", "ok");
    } catch (err) {
      if (!this.ctx.alive()) return;
      this.testNote.textContent = "";
      this.handleError(err, "sent");
    } finally {
      if (this.ctx.alive()) this.busy(false);
    }
  }

  async persist() {
    const spec = this.readSpec();
    this.clearAllErrors();
    if (!this.campaign) {
      return api("POST", "/api/v1/campaigns", { json: spec });
    }
    return api("PUT", `/api/v1/campaigns/${encodeURIComponent(this.campaign.id)}`, { json: spec });
  }

  busy(on) {
    for (const b of Object.values(this.buttons)) b.disabled = on;
  }

  async save() {
    if (!this.editable) return;
    this.busy(true);
    this.setMessage("Saving…");
    try {
      const saved = await this.persist();
      if (!this.ctx.alive()) return;
      this.dirty = false;
      toast(saved.status === "draft" ? "Draft saved" : "Campaign saved", "ok");
      if (!this.campaign) {
        this.ctx.navigate(`#/campaigns/${encodeURIComponent(saved.id)}`);
        return;
      }
      this.campaign = saved;
      this.status = saved.status;
      this.refreshState();
      this.setMessage(`Saved ${new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })}.`, "ok");
    } catch (err) {
      if (this.ctx.alive()) this.handleError(err, "saved");
    } finally {
      if (this.ctx.alive()) this.busy(false);
    }
  }

  async schedule() {
    this.busy(true);
    this.setMessage("Saving…");
    let saved;
    try {
      saved = await this.persist();
    } catch (err) {
      if (this.ctx.alive()) {
        this.handleError(err, "scheduled");
        this.busy(false);
      }
      return;
    }
    if (!this.ctx.alive()) return;
    try {
      const scheduled = await api("POST", `/api/v1/campaigns/${encodeURIComponent(saved.id)}/schedule`);
      if (!this.ctx.alive()) return;
      toast("Campaign scheduled", "ok");
      this.afterChange(scheduled, "Scheduled.");
    } catch (err) {
      if (!this.ctx.alive()) return;
      this.handleError(err, "scheduled (the draft is saved)");
      if (!this.campaign) {
        this.ctx.navigate(`#/campaigns/${encodeURIComponent(saved.id)}`);
        return;
      }
      this.campaign = saved;
      this.status = saved.status;
      this.refreshState();
      this.busy(false);
    }
  }

  afterChange(campaign, message) {
    if (!this.campaign || this.campaign.id !== campaign.id) {
      this.ctx.navigate(`#/campaigns/${encodeURIComponent(campaign.id)}`);
      return;
    }
    this.campaign = campaign;
    this.status = campaign.status;
    this.dirty = false;
    this.refreshState();
    if (EDITABLE.includes(campaign.status)) this.setMessage(message, "ok");
    this.busy(false);
  }

  async action(name) {
    if (!this.campaign) return;
    this.busy(true);
    try {
      const changed = await api("POST", `/api/v1/campaigns/${encodeURIComponent(this.campaign.id)}/${name}`);
      if (!this.ctx.alive()) return;
      toast(`Campaign ${name === "pause" ? "paused" : name === "resume" ? "resumed" : `${name}d`}`, "ok");
      this.afterChange(changed, name === "pause" ? "Paused: you can edit it now." : "Done.");
    } catch (err) {
      if (this.ctx.alive()) {
        this.handleError(err, name === "pause" ? "paused" : name === "resume" ? "resumed" : `${name}d`);
        this.busy(false);
      }
    }
  }

  async resume() {
    if (this.dirty && this.editable) {
      this.busy(true);
      try {
        const saved = await this.persist();
        if (!this.ctx.alive()) return;
        this.campaign = saved;
        this.dirty = false;
      } catch (err) {
        if (this.ctx.alive()) {
          this.handleError(err, "resumed");
          this.busy(false);
        }
        return;
      }
    }
    await this.action("resume");
  }

  async archive() {
    const ok = await confirmDialog(`Archive “${this.campaign.name}”? It stops for good and leaves the list.`, { title: "Archive the campaign", yes: "Archive", danger: true });
    if (!ok || !this.ctx.alive()) return;
    await this.action("archive");
  }
}

// ---------------------------------------------------------------- one audience condition

class ConditionRow {
  constructor(node, onRemove, onChange) {
    this.onChange = onChange;
    this.raw = null;
    const isCondition = node && typeof node === "object" && typeof node.field === "string" && FIELDS[node.field];
    this.el = h("div", { class: "condition-row" });
    this.error = h("p", { class: "field-error", role: "alert" });
    this.remove = h("button", { type: "button", class: "remove-condition icon-button", "aria-label": "Remove this condition", title: "Remove", onclick: onRemove }, "✕");
    if (!isCondition) {
      // a nested group (or a field the builder does not know): kept as it is
      this.raw = node;
      this.el.classList.add("raw");
      this.el.append(h("code", { class: "raw-condition" }, JSON.stringify(node)), this.remove, this.error);
      return;
    }
    this.fieldSelect = h(
      "select",
      { class: "cond-field", name: "audience_field" },
      Object.entries(FIELDS).map(([key, meta]) => h("option", { value: key }, meta.label)),
    );
    this.fieldSelect.value = node.field;
    this.opSelect = h("select", { class: "cond-op", name: "audience_op" });
    this.valueBox = h("div", { class: "cond-value" });
    this.fieldLabel = h("label", { class: "sr-only" }, "Field");
    this.opLabel = h("label", { class: "sr-only" }, "Test");
    this.el.append(this.fieldLabel, this.fieldSelect, this.opLabel, this.opSelect, this.valueBox, this.remove, this.error);
    this.fillOps(node.op);
    this.buildValue(node.value);
    this.fieldSelect.addEventListener("change", () => {
      this.fillOps(null);
      this.buildValue(undefined);
    });
    this.opSelect.addEventListener("change", () => {
      const previous = this.readValue();
      this.buildValue(previous);
    });
  }

  setIndex(i) {
    this.index = i;
    const base = `cond-${i}`;
    if (this.raw !== null) return;
    this.fieldSelect.id = `${base}-field`;
    this.opSelect.id = `${base}-op`;
    this.fieldLabel.setAttribute("for", this.fieldSelect.id);
    this.fieldLabel.textContent = `Condition ${i + 1}: field`;
    this.opLabel.setAttribute("for", this.opSelect.id);
    this.opLabel.textContent = `Condition ${i + 1}: test`;
    this.error.id = `${base}-error`;
    this.el.dataset.index = String(i);
    for (const el of [this.fieldSelect, this.opSelect]) el.setAttribute("aria-describedby", this.error.id);
    this.labelValue();
  }

  labelValue() {
    if (this.raw !== null || this.index === undefined) return;
    const base = `cond-${this.index}`;
    const control = this.valueBox.querySelector("input:not([type=checkbox]), select");
    const label = this.valueBox.querySelector("label.value-label");
    if (control && label) {
      control.id = `${base}-value`;
      label.setAttribute("for", control.id);
      label.textContent = `Condition ${this.index + 1}: value`;
      control.setAttribute("aria-describedby", this.error.id);
    }
    const group = this.valueBox.querySelector("fieldset legend");
    if (group) group.textContent = `Condition ${this.index + 1}: values`;
  }

  get meta() {
    return FIELDS[this.fieldSelect.value];
  }

  fillOps(wanted) {
    const ops = OPERATORS[this.meta.type];
    replace(this.opSelect, ops.map((op) => h("option", { value: op }, OP_LABELS[op] || op)));
    this.opSelect.value = ops.includes(wanted) ? wanted : ops[0];
  }

  buildValue(value) {
    const meta = this.meta;
    const op = this.opSelect.value;
    const multi = op === "in" || op === "not_in";
    const label = h("label", { class: "sr-only value-label" }, "Value");
    let control;
    if (meta.type === "number") {
      control = h("input", { type: "number", step: "any", class: "narrow", placeholder: meta.hint || "number", value: typeof value === "number" ? String(value) : "" });
      this.valueBox.replaceChildren(label, control);
    } else if (meta.type === "flag") {
      control = h("select", null, h("option", { value: "true" }, "yes"), h("option", { value: "false" }, "no"));
      control.value = value === false ? "false" : "true";
      this.valueBox.replaceChildren(label, control);
    } else if (meta.type === "choice" && multi) {
      const chosen = new Set(Array.isArray(value) ? value : value !== undefined && value !== null ? [value] : []);
      const group = h(
        "fieldset",
        { class: "checks" },
        h("legend", { class: "sr-only" }, "Values"),
        meta.choices.map((choice) => h("label", { class: "check" }, h("input", { type: "checkbox", value: choice, checked: chosen.has(choice) }), humanize(choice))),
      );
      this.valueBox.replaceChildren(group);
    } else if (meta.type === "choice") {
      control = h("select", null, meta.choices.map((choice) => h("option", { value: choice }, humanize(choice))));
      const single = Array.isArray(value) ? value[0] : value;
      control.value = meta.choices.includes(single) ? single : meta.choices[0];
      this.valueBox.replaceChildren(label, control);
    } else {
      // text, set: free text; a list is comma separated
      const text = Array.isArray(value) ? value.join(", ") : value === undefined || value === null ? "" : String(value);
      control = h("input", { type: "text", placeholder: multi ? "comma separated" : meta.type === "set" ? "badge id, e.g. first_review" : "", value: multi || !Array.isArray(value) ? text : value[0] || "" });
      if (meta.suggestions) {
        const listId = newId("suggest");
        const datalist = h("datalist", { id: listId }, meta.suggestions.map((s) => h("option", { value: s })));
        control.setAttribute("list", listId);
        this.valueBox.replaceChildren(label, control, datalist);
      } else this.valueBox.replaceChildren(label, control);
    }
    this.labelValue();
  }

  readValue() {
    if (this.raw !== null) return undefined;
    const meta = this.meta;
    const op = this.opSelect.value;
    const multi = op === "in" || op === "not_in";
    if (meta.type === "choice" && multi) {
      const boxes = this.valueBox.querySelectorAll("input[type=checkbox]");
      if (boxes.length) return [...boxes].filter((b) => b.checked).map((b) => b.value);
    }
    const control = this.valueBox.querySelector("input, select");
    if (!control) return null;
    const raw = control.value;
    if (meta.type === "number") return raw.trim() === "" ? null : Number(raw);
    if (meta.type === "flag") return raw === "true";
    if (multi)
      return raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    return raw.trim();
  }

  read() {
    if (this.raw !== null) return this.raw;
    return { field: this.fieldSelect.value, op: this.opSelect.value, value: this.readValue() };
  }

  setError(text) {
    this.error.textContent = text;
    this.el.classList.toggle("has-error", Boolean(text));
  }

  focusTarget(field) {
    if (this.raw !== null) return this.remove;
    if (/\.field$/.test(field)) return this.fieldSelect;
    if (/\.op$/.test(field)) return this.opSelect;
    return this.valueBox.querySelector("input, select") || this.fieldSelect;
  }

  focus() {
    (this.fieldSelect || this.remove).focus();
  }
}

function audienceView(result) {
  const would = result.would && typeof result.would === "object" ? Object.entries(result.would).filter(([, n]) => Number(n) > 0) : [];
  would.sort((a, b) => Number(b[1]) - Number(a[1]));
  const total = would.reduce((sum, [, n]) => sum + Number(n), 0) || 1;
  const colours = { send: PALETTE.green, sent: PALETTE.green, holdout: PALETTE.slate, hold_out: PALETTE.slate, held_out: PALETTE.slate };
  const bar = h("div", { class: "stack-bar", "aria-hidden": "true" });
  for (const [reason, n] of would) {
    const seg = h("span", { class: "stack-seg", title: `${humanize(reason)}: ${num(n)}` });
    seg.style.width = `${(Number(n) / total) * 100}%`;
    seg.style.background = colours[reason] || reasonColour(reason);
    bar.appendChild(seg);
  }
  return h(
    "div",
    null,
    audienceNumber(result),
    would.length ? bar : null,
    would.length
      ? h(
          "ul",
          { class: "would", id: "audience-would" },
          would.map(([reason, n]) => {
            const dot = h("span", { class: "dot", "aria-hidden": "true" });
            dot.style.background = colours[reason] || reasonColour(reason);
            return h("li", null, dot, h("span", { class: "would-label" }, wouldLabel(reason)), h("span", { class: "would-n" }, num(n)));
          }),
        )
      : null,
  );
}

/** "47 customers match": the number large, the words after it, as the server counts them. */
function audienceNumber(result) {
  const text = (result.text && result.text.matching) || String(result.matching ?? "—");
  const space = text.indexOf(" ");
  const count = space < 0 ? text : text.slice(0, space);
  return h("p", { class: "audience-number" }, h("strong", { id: "audience-matching" }, count), h("span", null, space < 0 ? "" : text.slice(space)));
}

function wouldLabel(reason) {
  const labels = { send: "would be sent", sent: "would be sent", holdout: "held out", hold_out: "held out", held_out: "held out" };
  return labels[reason] || `skipped: ${humanize(reason)}`;
}

const REASON_COLOURS = [PALETTE.amber, PALETTE.rose, PALETTE.sky, PALETTE.teal, PALETTE.red, "#9b6bd6", "#c7a33a"];
const reasonIndex = new Map();
function reasonColour(reason) {
  if (!reasonIndex.has(reason)) reasonIndex.set(reason, reasonIndex.size);
  return REASON_COLOURS[reasonIndex.get(reason) % REASON_COLOURS.length];
}

// ---------------------------------------------------------------- dates

function pad(n) {
  return String(Math.abs(Math.trunc(n))).padStart(2, "0");
}

/** "2026-12-01T10:00" (the browser's local time) → "2026-12-01T10:00:00+01:00". */
export function localToIso(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const base = value.length === 16 ? `${value}:00` : value.slice(0, 19);
  return `${base}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/** An ISO instant → the datetime-local value in the browser's time zone. */
export function isoToLocal(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function timezoneLabel() {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (_) {
    zone = "";
  }
  const offset = -new Date().getTimezoneOffset();
  const label = `UTC${offset >= 0 ? "+" : "-"}${pad(offset / 60)}:${pad(offset % 60)}`;
  return zone ? `${zone}, ${label}` : label;
}

/** A random hold-out seed for a campaign being written (README: campaigns, hold-out). */
function newSeed() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return `form-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function optionalNumber(value) {
  return value === null || value === undefined ? "" : String(value);
}

// ================================================================ results

export async function renderResults(ctx, id) {
  const path = `/api/v1/campaigns/${encodeURIComponent(id)}`;
  const [campaign, results] = await Promise.all([api("GET", path), api("GET", `${path}/results`)]);
  if (!ctx.alive()) return;
  const spec = campaign.spec || {};
  const byStatus = results.by_status || {};
  const skipped = results.skipped_by_reason || {};
  const pending = results.pending_by_reason || {};
  const conv = results.conversion || {};
  const sentGroup = conv.sent || {};
  const heldGroup = conv.held_out || {};
  const sent = Number(byStatus.sent) || 0;
  const skippedTotal = Object.values(skipped).reduce((a, b) => a + (Number(b) || 0), 0);
  const pendingTotal = Object.values(pending).reduce((a, b) => a + (Number(b) || 0), 0);
  const uplift = conv.uplift;
  const text = results.text || {};
  const budget = results.budget || {};
  const within = `within ${text.window}`;

  const tiles = h(
    "div",
    { class: "kpis kpis-6" },
    tile("Sent", num(sent), "results-sent", `${num(byStatus.held_out || 0)} held out`),
    tile("Answered", num(results.answered), "results-answered", sent ? `${percent((Number(results.answered) || 0) / sent)} of sent` : "within 48 h"),
    tile("Conversion, nudged", percent(sentGroup.rate), "results-conversion", `${num(sentGroup.converted)} of ${num(sentGroup.customers)}`),
    tile("Conversion, hold-out", percent(heldGroup.rate), "results-holdout", `${num(heldGroup.converted)} of ${num(heldGroup.customers)}`),
    tile(
      "Uplift",
      uplift === null || uplift === undefined ? "—" : `${Number(uplift) > 0 ? "+" : ""}${(Number(uplift) * 100).toFixed(1)} pts`,
      "results-uplift",
      within,
      uplift === null || uplift === undefined ? "" : Number(uplift) > 0 ? "good" : Number(uplift) < 0 ? "bad" : "",
    ),
    tile("Opt-out rate", percent(conv.opt_out_rate), "results-opt-out", "of the nudged", Number(conv.opt_out_rate) > 0.05 ? "bad" : ""),
  );

  const skippedCanvas = h("canvas", { id: "chart-skipped", role: "img", "aria-label": "Skipped nudges by reason" }, "Skipped nudges by reason");
  const conversionCanvas = h("canvas", { id: "chart-conversion", role: "img", "aria-label": "Conversion of the nudged and of the hold-out" }, "Conversion chart");
  const hasSkipped = skippedTotal > 0;
  const hasConversion = (Number(sentGroup.customers) || 0) + (Number(heldGroup.customers) || 0) > 0;

  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-results" },
      h(
        "div",
        { class: "page-head" },
        h(
          "div",
          null,
          h("p", { class: "crumbs" }, h("a", { href: "#/campaigns" }, "Campaigns"), " / ", h("a", { href: `#/campaigns/${encodeURIComponent(id)}` }, campaign.name || id), " / results"),
          h("h1", null, campaign.name || id, " ", pill(campaign.status, campaign.status)),
          h("p", { class: "subtitle" }, `${spec.class || "marketing"} · `, scheduleText(spec.schedule), campaign.status_reason ? ` · ${campaign.status_reason}` : ""),
        ),
        h("div", { class: "page-tools" }, h("a", { href: `#/campaigns/${encodeURIComponent(id)}`, class: "button ghost" }, "Edit"), h("button", { type: "button", class: "ghost", onclick: () => ctx.navigate(`#/campaigns/${encodeURIComponent(id)}/results`) }, "Refresh")),
      ),
      tiles,
      h(
        "div",
        { class: "grid grid-2" },
        h(
          "section",
          { class: "card chart-card", id: "results-skipped" },
          h("header", { class: "card-head" }, h("div", null, h("h2", null, "Skipped, by reason"), h("p", { class: "card-sub" }, `${text.skipped}, and why`))),
          h("div", { class: `chart-box${hasSkipped ? "" : " is-empty"}` }, hasSkipped ? skippedCanvas : h("p", { class: "empty" }, "Nothing skipped.")),
        ),
        h(
          "section",
          { class: "card chart-card" },
          h("header", { class: "card-head" }, h("div", null, h("h2", null, "Nudged vs hold-out"), h("p", { class: "card-sub" }, `conversion ${within}: a purchase, a contribution or a stage up`))),
          h("div", { class: `chart-box${hasConversion ? "" : " is-empty"}` }, hasConversion ? conversionCanvas : h("p", { class: "empty" }, "No data yet")),
        ),
      ),
      h(
        "div",
        { class: "grid grid-2" },
        h(
          "section",
          { class: "card", id: "results-status" },
          h("header", { class: "card-head" }, h("h2", null, "Deliveries by status")),
          countList(byStatus, "No delivery yet.", true),
        ),
        h(
          "section",
          { class: "card", id: "results-pending" },
          h(
            "header",
            { class: "card-head" },
            h("div", null, h("h2", null, "Waiting, by reason"), h("p", { class: "card-sub" }, pendingTotal ? `${text.waiting} · about ${duration(results.expected_duration_s)} to send what is due now` : "nothing waiting")),
          ),
          countList(pending, "Nothing waiting.", false),
        ),
      ),
      h(
        "section",
        { class: "card", id: "results-budget" },
        h("header", { class: "card-head" }, h("div", null, h("h2", null, "Budgets"), h("p", { class: "card-sub" }, "each nudge is paid for as it goes out: what was used, and what is left"))),
        h(
          "dl",
          { class: "stats" },
          statItem("coupon", spec.coupon || "none"),
          statItem("coupon budget", limitOf(budget.coupons)),
          statItem("coupons used", text.coupons_used || num((budget.coupons || {}).used), "budget-coupons-used"),
          statItem("coupons left", text.coupons_left || "no limit", "budget-coupons-left"),
          statItem("points each", num(spec.points || 0)),
          statItem("points budget", limitOf(budget.points)),
          statItem("points used", text.points_used || num((budget.points || {}).used), "budget-points-used"),
          statItem("points left", text.points_left || "no limit", "budget-points-left"),
          statItem("hold-out", `${num(spec.holdout_percent ?? 10)}%`),
          statItem("points value", euros((Number(spec.points) || 0) * 0.01)),
        ),
      ),
    ),
  );

  if (hasSkipped) {
    const entries = Object.entries(skipped).filter(([, v]) => Number(v) > 0).sort((a, b) => Number(b[1]) - Number(a[1]));
    ctx.chart(skippedCanvas, {
      type: "bar",
      data: {
        labels: entries.map(([k]) => humanize(k)),
        datasets: [{ label: "skipped", data: entries.map(([, v]) => Number(v) || 0), backgroundColor: entries.map(([k]) => alpha(reasonColour(k), 0.85)) }],
      },
      options: {
        indexAxis: "y",
        layout: { padding: { right: 40 } },
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
      },
      plugins: [barLabels((v) => num(v))],
    });
  }
  if (hasConversion) {
    const rates = [sentGroup.rate, heldGroup.rate].map((r) => (r === null || r === undefined ? null : Number(r) * 100));
    ctx.chart(conversionCanvas, {
      type: "bar",
      data: {
        labels: ["nudged", "hold-out"],
        datasets: [{ label: "conversion %", data: rates, backgroundColor: [alpha(PALETTE.brand, 0.85), alpha(PALETTE.slate, 0.7)], maxBarThickness: 90 }],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) => {
                const g = item.dataIndex === 0 ? sentGroup : heldGroup;
                return `${item.raw === null ? "—" : `${Number(item.raw).toFixed(1)}%`} (${num(g.converted)} of ${num(g.customers)})`;
              },
            },
          },
        },
        scales: { x: { grid: { display: false } }, y: { beginAtZero: true, suggestedMax: 10, title: { display: true, text: "conversion %" } } },
      },
      plugins: [barLabels((v) => (v === null ? "" : `${Number(v).toFixed(1)}%`))],
    });
  }
}

function tile(label, value, id, note, tone = "") {
  return h("div", { class: `kpi card ${tone}`, id }, h("span", { class: "kpi-label" }, label), h("span", { class: "kpi-value" }, value), note ? h("span", { class: "kpi-note" }, note) : null);
}

function statItem(label, value, id) {
  return h("div", { class: "stat" }, h("dt", null, label), h("dd", id ? { id } : null, value));
}

function limitOf(spent) {
  return spent && spent.budget !== null && spent.budget !== undefined ? num(spent.budget) : "no limit";
}

function countList(counts, emptyText, statusPills) {
  const entries = Object.entries(counts || {}).filter(([, n]) => Number(n) > 0);
  if (!entries.length) return h("p", { class: "empty" }, emptyText);
  entries.sort((a, b) => Number(b[1]) - Number(a[1]));
  const max = Math.max(...entries.map(([, n]) => Number(n)));
  return h(
    "ul",
    { class: "count-list" },
    entries.map(([key, n]) => {
      const fill = h("span", { class: "count-fill" });
      fill.style.width = `${(Number(n) / max) * 100}%`;
      return h(
        "li",
        { dataset: { key } },
        h("span", { class: "count-key" }, statusPills ? pill(humanize(key), key) : humanize(key)),
        h("span", { class: "count-bar", "aria-hidden": "true" }, fill),
        h("span", { class: "count-n" }, num(n)),
      );
    }),
  );
}

function duration(seconds) {
  const s = Number(seconds) || 0;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
