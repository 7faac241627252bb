// Dashboard (#/dashboard): KPI tiles and five charts from GET /api/v1/dashboard?weeks=N.

import { COLON, LOCALE, api, day, euros, h, localized, num, percent, points, replace, spinner, stageName } from "./core.js";
import { PALETTE, alpha, barLabels, stageColour } from "./charts.js";

const WEEK_CHOICES = [4, 12, 26, 52];
let weeksChoice = 12;

// Every word of the page, in both languages (numbers, money and dates: core's LOCALE).
const STRINGS = localized({
  fr: {
    lastWeeks: (n) => `${n}\u00a0dernières semaines`,
    title: "Tableau de bord",
    subtitle: "Comment les clients gravissent l’échelle, combien la marque est aimée, ce que cela coûte.",
    period: "Période",
    brandScore: "Score fusion de la marque",
    brandScoreNote: "0–100 · moyenne des clients actifs",
    active: "Clients actifs",
    activeNote: "un événement dans les 90\u00a0derniers jours",
    zapped: "Zappeurs",
    zappedShare: (share) => `${share} de tous les clients`,
    zappedNote: "désabonnés ou ignorant les relances",
    onLadder: "Sur l’échelle",
    known: "clients connus",
    ladder: "L’échelle",
    ladderSub: "les clients arrivés à chaque étape, et la part qui a franchi l’étape précédente",
    ladderWeeks: "L’échelle, semaine après semaine",
    ladderWeeksSub: "les clients sur chaque étape à la fin de chaque semaine",
    fusionSub: "par semaine, 0–100 (50\u00a0: neutre)",
    rewards: "Récompenses distribuées",
    rewardsSub: "points et bons de réduction par semaine, et ce qu’ils coûtent",
    nudges: "Efficacité des relances",
    nudgesSub: "par campagne\u00a0: portée, et conversion des clients relancés face au groupe témoin",
    chart: (title) => `Graphique «\u00a0${title}\u00a0»`,
    noData: "Pas encore de données",
    zappedLabel: "zappeurs",
    customers: "clients",
    zappedTip: (n) => `${n}\u00a0clients ont zappé la marque`,
    reachedTip: (n) => `${n} ont atteint cette étape`,
    standingTip: (n) => `${n} s’y trouvent aujourd’hui`,
    previousTip: (share) => `${share} de l’étape précédente`,
    fusionScore: "score fusion",
    neutral: "neutre",
    points: "points",
    coupons: "bons de réduction",
    cost: "coût (€)",
    costTip: (amount) => `coût ${amount}`,
    costAxis: "coût €",
    sent: "envoyées",
    answered: "avec réponse",
    conversionNudged: "conversion, relancés (%)",
    conversionHoldout: "conversion, groupe témoin (%)",
    uplift: (pts) => `gain ${pts}`,
    optOutRate: (share) => `taux de désabonnement ${share}`,
    optOuts: (n) => `désabonnements ${n}`,
    nudgesAxis: "relances",
    conversionAxis: "conversion %",
    glance: "Les campagnes en un coup d’œil",
    columns: ["campagne", "statut", "envoyées", "avec réponse", "écartées", "conversion", "groupe témoin", "gain"],
    optOutRateColumn: "taux de désabonnement",
    optOutsColumn: "désabonnements",
    status: { draft: "brouillon", scheduled: "programmée", running: "en cours", paused: "en pause", finished: "terminée", archived: "archivée" },
  },
  en: {
    lastWeeks: (n) => `last ${n} weeks`,
    title: "Dashboard",
    subtitle: "How customers climb the ladder, how the brand is loved, what it costs.",
    period: "Period",
    brandScore: "Brand fusion score",
    brandScoreNote: "0–100 · mean over active customers",
    active: "Active customers",
    activeNote: "an event in the last 90 days",
    zapped: "Zapped",
    zappedShare: (share) => `${share} of all customers`,
    zappedNote: "opted out or ignoring nudges",
    onLadder: "On the ladder",
    known: "customers known",
    ladder: "The ladder",
    ladderSub: "customers who reached each stage, and the share who went on from the previous step",
    ladderWeeks: "The ladder, week by week",
    ladderWeeksSub: "customers standing on each stage at the end of each week",
    fusionSub: "weekly, 0–100 (50 is neutral)",
    rewards: "Rewards issued",
    rewardsSub: "points and coupons per week, and what they cost",
    nudges: "Nudge performance",
    nudgesSub: "by campaign: reach, and conversion of the nudged vs the hold-out",
    chart: (title) => `${title} chart`,
    noData: "No data yet",
    zappedLabel: "zapped",
    customers: "customers",
    zappedTip: (n) => `${n} customers zapped the brand`,
    reachedTip: (n) => `${n} reached this stage`,
    standingTip: (n) => `${n} standing here now`,
    previousTip: (share) => `${share} of the previous stage`,
    fusionScore: "fusion score",
    neutral: "neutral",
    points: "points",
    coupons: "coupons",
    cost: "cost (€)",
    costTip: (amount) => `cost ${amount}`,
    costAxis: "cost €",
    sent: "sent",
    answered: "answered",
    conversionNudged: "conversion, nudged (%)",
    conversionHoldout: "conversion, hold-out (%)",
    uplift: (pts) => `uplift ${pts}`,
    optOutRate: (share) => `opt-out rate ${share}`,
    optOuts: (n) => `opt-outs ${n}`,
    nudgesAxis: "nudges",
    conversionAxis: "conversion %",
    glance: "Campaigns at a glance",
    columns: ["campaign", "status", "sent", "answered", "skipped", "conversion", "hold-out", "uplift"],
    optOutRateColumn: "opt-out rate",
    optOutsColumn: "opt-outs",
    status: {},
  },
});
const oneDecimal = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export async function render(ctx) {
  const body = h("div", { class: "dashboard-body" }, spinner());
  const weeks = h(
    "select",
    { id: "dashboard-weeks", name: "weeks", value: String(weeksChoice) },
    WEEK_CHOICES.map((n) => h("option", { value: String(n) }, STRINGS.lastWeeks(n))),
  );
  weeks.addEventListener("change", () => {
    weeksChoice = Number(weeks.value);
    ctx.navigate("#/dashboard");
  });
  replace(
    ctx.main,
    h(
      "div",
      { class: "page page-dashboard" },
      h(
        "div",
        { class: "page-head" },
        h("div", null, h("h1", null, STRINGS.title), h("p", { class: "subtitle" }, STRINGS.subtitle)),
        h("div", { class: "page-tools" }, h("label", { for: "dashboard-weeks", class: "inline-label" }, STRINGS.period), weeks),
      ),
      body,
    ),
  );
  const data = await api("GET", `/api/v1/dashboard?weeks=${weeksChoice}`);
  if (!ctx.alive()) return;
  draw(ctx, body, data || {});
}

function draw(ctx, body, data) {
  const funnel = Array.isArray(data.funnel) ? data.funnel : [];
  const funnelWeeks = Array.isArray(data.funnel_weeks) ? data.funnel_weeks : [];
  const fusionWeeks = Array.isArray(data.fusion_weeks) ? data.fusion_weeks : [];
  const rewardsWeeks = Array.isArray(data.rewards_weeks) ? data.rewards_weeks : [];
  const campaigns = Array.isArray(data.campaigns) ? data.campaigns : [];
  const totalCustomers = funnel.reduce((sum, s) => sum + (Number(s.customers) || 0), 0);

  const score = data.fusion_score;
  const scoreValue = score === null || score === undefined ? null : Number(score);
  const gauge = h("div", { class: "gauge", role: "presentation" }, h("div", { class: "gauge-fill" }));
  if (scoreValue !== null) gauge.firstChild.style.width = `${Math.max(0, Math.min(100, scoreValue))}%`;

  const kpis = h(
    "div",
    { class: "kpis" },
    kpi(STRINGS.brandScore, scoreValue === null ? "—" : oneDecimal.format(scoreValue), "kpi-fusion", [
      gauge,
      h("span", { class: "kpi-note" }, STRINGS.brandScoreNote),
    ]),
    kpi(STRINGS.active, num(data.active_customers), "kpi-active", h("span", { class: "kpi-note" }, STRINGS.activeNote)),
    kpi(STRINGS.zapped, num(data.zapped), "kpi-zapped", h("span", { class: "kpi-note" }, totalCustomers ? STRINGS.zappedShare(percent((Number(data.zapped) || 0) / totalCustomers)) : STRINGS.zappedNote)),
    kpi(STRINGS.onLadder, num(totalCustomers), "kpi-total", h("span", { class: "kpi-note" }, STRINGS.known)),
  );

  const funnelCard = chartCard("chart-funnel", STRINGS.ladder, STRINGS.ladderSub, totalCustomers > 0, "tall");
  const weeksCard = chartCard("chart-funnel-weeks", STRINGS.ladderWeeks, STRINGS.ladderWeeksSub, funnelWeeks.length > 0);
  const fusionCard = chartCard("chart-fusion", STRINGS.brandScore, STRINGS.fusionSub, fusionWeeks.length > 0, null, h("span", { class: "big-number", id: "fusion-now" }, scoreValue === null ? "—" : oneDecimal.format(scoreValue)));
  const rewardsCard = chartCard("chart-rewards", STRINGS.rewards, STRINGS.rewardsSub, rewardsWeeks.length > 0);
  const campaignsCard = chartCard("chart-campaigns", STRINGS.nudges, STRINGS.nudgesSub, campaigns.length > 0, "wide");

  replace(
    body,
    kpis,
    h("div", { class: "grid grid-2" }, funnelCard.el, fusionCard.el),
    h("div", { class: "grid grid-2" }, weeksCard.el, rewardsCard.el),
    h("div", { class: "grid" }, campaignsCard.el),
    campaigns.length ? campaignTable(campaigns) : null,
  );

  if (totalCustomers > 0) drawFunnel(ctx, funnelCard.canvas, funnel, Number(data.zapped) || 0);
  if (funnelWeeks.length) drawFunnelWeeks(ctx, weeksCard.canvas, funnel, funnelWeeks);
  if (fusionWeeks.length) drawFusion(ctx, fusionCard.canvas, fusionWeeks);
  if (rewardsWeeks.length) drawRewards(ctx, rewardsCard.canvas, rewardsWeeks);
  if (campaigns.length) drawCampaigns(ctx, campaignsCard.canvas, campaigns);
}

function kpi(label, value, id, extra) {
  return h("div", { class: "kpi card", id }, h("span", { class: "kpi-label" }, label), h("span", { class: "kpi-value" }, value), extra);
}

function chartCard(id, title, subtitle, hasData, size, aside) {
  const canvas = h("canvas", { id, role: "img", "aria-label": `${title}${COLON}${subtitle}` }, STRINGS.chart(title));
  const box = h("div", { class: `chart-box${size ? " chart-" + size : ""}` }, canvas);
  if (!hasData) {
    // the canvas stays (blank) under the notice, so the layout does not jump once data comes
    box.classList.add("is-empty");
    box.appendChild(h("p", { class: "empty" }, STRINGS.noData));
  }
  const el = h(
    "section",
    { class: "card chart-card" },
    h("header", { class: "card-head" }, h("div", null, h("h2", null, title), h("p", { class: "card-sub" }, subtitle)), aside || null),
    box,
  );
  return { el, canvas };
}

/** Customers who reached each stage: those standing on it or on any stage above. */
function reached(funnel) {
  if (funnel.every((s) => s.reached !== undefined)) return funnel.map((s) => Number(s.reached) || 0);
  const counts = funnel.map((s) => Number(s.customers) || 0);
  const out = new Array(counts.length).fill(0);
  let running = 0;
  for (let i = counts.length - 1; i >= 0; i -= 1) {
    running += counts[i];
    out[i] = running;
  }
  return out;
}

function drawFunnel(ctx, canvas, funnel, zapped) {
  const totals = reached(funnel);
  const standing = funnel.map((s) => Number(s.customers) || 0);
  const conversion = totals.map((n, i) => (i === 0 ? null : totals[i - 1] ? n / totals[i - 1] : null));
  const labels = funnel.map((s, i) => (i === 0 ? stageName(s.stage) : [stageName(s.stage), `↳ ${conversion[i] === null ? "—" : percent(conversion[i], 0)}`]));
  const values = [...totals];
  const colours = funnel.map((_, i) => stageColour(i));
  if (zapped) {
    labels.push(STRINGS.zappedLabel);
    values.push(zapped);
    colours.push(PALETTE.red);
  }
  ctx.chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [{ label: STRINGS.customers, data: values, backgroundColor: colours, borderSkipped: false, barPercentage: 0.86, categoryPercentage: 0.9 }],
    },
    options: {
      indexAxis: "y",
      layout: { padding: { right: 56 } },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => {
              const i = items[0].dataIndex;
              return i < funnel.length ? stageName(funnel[i].stage) : STRINGS.zappedLabel;
            },
            label: (item) => {
              const i = item.dataIndex;
              if (i >= funnel.length) return STRINGS.zappedTip(num(item.raw));
              const lines = [STRINGS.reachedTip(num(totals[i])), STRINGS.standingTip(num(standing[i]))];
              if (conversion[i] !== null) lines.push(STRINGS.previousTip(percent(conversion[i])));
              return lines;
            },
          },
        },
      },
      scales: {
        x: { beginAtZero: true, grid: { display: false }, ticks: { precision: 0 } },
        y: { grid: { display: false }, ticks: { font: { weight: "600" } } },
      },
    },
    plugins: [barLabels((v) => num(v))],
  });
}

function drawFunnelWeeks(ctx, canvas, funnel, weeks) {
  let stages = funnel.map((s) => s.stage);
  for (const w of weeks) for (const key of Object.keys(w.stages || {})) if (!stages.includes(key)) stages.push(key);
  if (!stages.length) stages = [];
  const datasets = stages.map((stage, i) => ({
    label: stageName(stage),
    data: weeks.map((w) => Number((w.stages || {})[stage]) || 0),
    borderColor: stageColour(i),
    backgroundColor: alpha(stageColour(i), 0.55),
    fill: i === 0 ? "origin" : "-1",
    pointRadius: 0,
    borderWidth: 1.5,
  }));
  ctx.chart(canvas, {
    type: "line",
    data: { labels: weeks.map((w) => day(w.week)), datasets },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" }, tooltip: { itemSort: (a, b) => b.datasetIndex - a.datasetIndex } },
      scales: {
        x: { grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: STRINGS.customers } },
      },
    },
  });
}

function drawFusion(ctx, canvas, weeks) {
  ctx.chart(canvas, {
    type: "line",
    data: {
      labels: weeks.map((w) => day(w.week)),
      datasets: [
        {
          label: STRINGS.fusionScore,
          data: weeks.map((w) => (w.score === null || w.score === undefined ? null : Number(w.score))),
          borderColor: PALETTE.brand,
          backgroundColor: PALETTE.brandSoft,
          fill: "origin",
          borderWidth: 2.5,
          pointRadius: 3,
          spanGaps: true,
        },
        {
          label: STRINGS.neutral,
          data: weeks.map(() => 50),
          borderColor: PALETTE.slate,
          borderDash: [5, 5],
          borderWidth: 1,
          pointRadius: 0,
          fill: false,
        },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: { filter: (item) => item.datasetIndex === 0, callbacks: { label: (item) => `${STRINGS.fusionScore} ${oneDecimal.format(Number(item.raw))}` } },
      },
      scales: { x: { grid: { display: false } }, y: { min: 0, max: 100, ticks: { stepSize: 25 } } },
    },
  });
}

function drawRewards(ctx, canvas, weeks) {
  ctx.chart(canvas, {
    data: {
      labels: weeks.map((w) => day(w.week)),
      datasets: [
        { type: "bar", label: STRINGS.points, data: weeks.map((w) => Number(w.points) || 0), backgroundColor: alpha(PALETTE.brand, 0.75), yAxisID: "y", order: 2 },
        { type: "bar", label: STRINGS.coupons, data: weeks.map((w) => Number(w.coupons) || 0), backgroundColor: alpha(PALETTE.amber, 0.85), yAxisID: "yCoupons", order: 3 },
        {
          type: "line",
          label: STRINGS.cost,
          data: weeks.map((w) => Number(w.cost) || 0),
          borderColor: PALETTE.rose,
          backgroundColor: PALETTE.rose,
          yAxisID: "yCost",
          borderWidth: 2.5,
          pointRadius: 3,
          order: 1,
        },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: (item) => (item.dataset.yAxisID === "yCost" ? STRINGS.costTip(euros(item.raw)) : `${item.dataset.label} ${num(item.raw)}`),
          },
        },
      },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, position: "left", title: { display: true, text: STRINGS.points }, ticks: { precision: 0 } },
        yCoupons: { beginAtZero: true, position: "right", grid: { display: false }, title: { display: true, text: STRINGS.coupons }, ticks: { precision: 0 } },
        yCost: { beginAtZero: true, position: "right", grid: { display: false }, title: { display: true, text: STRINGS.costAxis } },
      },
    },
  });
}

function rate(value) {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n * 100 : null;
}

function drawCampaigns(ctx, canvas, campaigns) {
  const labels = campaigns.map((c) => c.name || c.id);
  ctx.chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: STRINGS.sent, data: campaigns.map((c) => Number(c.sent) || 0), backgroundColor: alpha(PALETTE.sky, 0.8), yAxisID: "y" },
        { label: STRINGS.answered, data: campaigns.map((c) => Number(c.answered) || 0), backgroundColor: alpha(PALETTE.teal, 0.8), yAxisID: "y" },
        { label: STRINGS.conversionNudged, data: campaigns.map((c) => rate(c.conversion)), backgroundColor: alpha(PALETTE.brand, 0.85), yAxisID: "yRate" },
        { label: STRINGS.conversionHoldout, data: campaigns.map((c) => rate(c.holdout_conversion)), backgroundColor: alpha(PALETTE.slate, 0.7), yAxisID: "yRate" },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: (item) => (item.dataset.yAxisID === "yRate" ? `${item.dataset.label.replace(" (%)", "")}${COLON}${item.raw === null ? "—" : percent(Number(item.raw) / 100)}` : `${item.dataset.label}${COLON}${num(item.raw)}`),
            afterBody: (items) => {
              const c = campaigns[items[0].dataIndex];
              const lines = [];
              if (c.uplift !== null && c.uplift !== undefined) lines.push(STRINGS.uplift(points(c.uplift)));
              if (c.opt_out_rate !== undefined && c.opt_out_rate !== null) lines.push(STRINGS.optOutRate(percent(c.opt_out_rate)));
              else if (c.opt_outs !== undefined) lines.push(STRINGS.optOuts(num(c.opt_outs)));
              return lines;
            },
          },
        },
      },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, title: { display: true, text: STRINGS.nudgesAxis }, ticks: { precision: 0 } },
        yRate: { beginAtZero: true, suggestedMax: 20, position: "right", grid: { display: false }, title: { display: true, text: STRINGS.conversionAxis } },
      },
    },
  });
}

function campaignTable(campaigns) {
  const rows = campaigns.map((c) =>
    h(
      "tr",
      null,
      h("td", null, c.id ? h("a", { href: `#/campaigns/${encodeURIComponent(c.id)}/results` }, c.name || c.id) : c.name),
      h("td", null, c.status ? h("span", { class: `pill pill-${c.status}` }, STRINGS.status[c.status] || c.status) : "—"),
      h("td", { class: "num" }, num(c.sent)),
      h("td", { class: "num" }, num(c.answered)),
      h("td", { class: "num" }, num(c.skipped)),
      h("td", { class: "num" }, percent(c.conversion)),
      h("td", { class: "num" }, percent(c.holdout_conversion)),
      h("td", { class: `num ${Number(c.uplift) > 0 ? "good" : Number(c.uplift) < 0 ? "bad" : ""}` }, c.uplift === null || c.uplift === undefined ? "—" : points(c.uplift)),
      h("td", { class: "num" }, c.opt_out_rate !== undefined ? percent(c.opt_out_rate) : num(c.opt_outs)),
    ),
  );
  return h(
    "section",
    { class: "card" },
    h("header", { class: "card-head" }, h("h2", null, STRINGS.glance)),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "dashboard-campaigns" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            [...STRINGS.columns, campaigns.some((c) => c.opt_out_rate !== undefined) ? STRINGS.optOutRateColumn : STRINGS.optOutsColumn].map((label, i) => h("th", { scope: "col", class: i > 1 ? "num" : null }, label)),
          ),
        ),
        h("tbody", null, rows),
      ),
    ),
  );
}
