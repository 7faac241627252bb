// Chart.js (vendored UMD, global `Chart`) theme and palette shared by the pages.

export const PALETTE = {
  brand: "#5b4bdb",
  brandSoft: "rgba(91, 75, 219, 0.14)",
  teal: "#14a3a3",
  amber: "#f0a020",
  rose: "#e0457b",
  green: "#2fa56a",
  sky: "#3b8beb",
  slate: "#8a93a6",
  red: "#d6453d",
};

// one colour per ladder stage, from cold (need) to warm (flow)
export const STAGE_COLOURS = ["#b7bdd0", "#7fa7ef", "#3b8beb", "#14a3a3", "#2fa56a", "#f0a020", "#e0457b"];

export function stageColour(index) {
  return STAGE_COLOURS[index % STAGE_COLOURS.length];
}

export function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

export function applyChartTheme() {
  const Chart = window.Chart;
  if (!Chart) return;
  Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue("--font").trim() || "system-ui, sans-serif";
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#5c6478";
  Chart.defaults.borderColor = "rgba(20, 24, 40, 0.08)";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.usePointStyle = true;
  Chart.defaults.plugins.legend.labels.boxWidth = 8;
  Chart.defaults.plugins.legend.labels.boxHeight = 8;
  Chart.defaults.plugins.tooltip.backgroundColor = "rgba(24, 26, 42, 0.92)";
  Chart.defaults.plugins.tooltip.padding = 10;
  Chart.defaults.plugins.tooltip.cornerRadius = 8;
  Chart.defaults.elements.bar.borderRadius = 6;
  Chart.defaults.elements.line.tension = 0.3;
  Chart.defaults.elements.point.radius = 2;
  Chart.defaults.elements.point.hoverRadius = 5;
}

/** A plugin writing each bar's value (or a label from `labelOf`) at the bar's end. */
export function barLabels(labelOf) {
  return {
    id: "barLabels",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = `600 12px ${window.Chart.defaults.font.family}`;
      ctx.fillStyle = "#2b3145";
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach((dataset, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        meta.data.forEach((bar, i) => {
          const text = labelOf(dataset.data[i], i, di);
          if (!text) return;
          const horizontal = chart.options.indexAxis === "y";
          if (horizontal) {
            ctx.textAlign = "left";
            ctx.fillText(text, bar.x + 6, bar.y);
          } else {
            ctx.textAlign = "center";
            ctx.fillText(text, bar.x, bar.y - 10);
          }
        });
      });
      ctx.restore();
    },
  };
}
