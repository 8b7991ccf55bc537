// Charts of 经审, drawn with ECharts (served from node_modules, no CDN).
(function () {
  "use strict";
  var data = document.getElementById("ranking-data");
  var box = document.getElementById("ranking-chart");
  if (!data || !box || !window.echarts) { return; }
  var units = JSON.parse(data.textContent).slice().reverse();
  var chart = window.echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 8, right: 40, top: 10, bottom: 10, containLabel: true },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value", max: 100, name: "风险分" },
    yAxis: { type: "category", data: units.map(function (u) { return u.name; }), axisLabel: { width: 220, overflow: "truncate" } },
    series: [{
      type: "bar", barMaxWidth: 22, data: units.map(function (u) { return u.score; }),
      itemStyle: { color: function (p) { return p.value >= 60 ? "#b3261e" : p.value >= 30 ? "#dc6803" : "#1f4e8c"; } },
      label: { show: true, position: "right" }
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();

// 资金穿透: received, passed down, spent and unspent of the units with the largest flows.
(function () {
  "use strict";
  var data = document.getElementById("trace-data");
  var box = document.getElementById("trace-chart");
  if (!data || !box || !window.echarts) { return; }
  var trace = JSON.parse(data.textContent);
  var chart = window.echarts.init(box, null, { renderer: "svg" });
  var colours = ["#1f4e8c", "#7a5af8", "#dc6803", "#12b76a"];
  chart.setOption({
    grid: { left: 8, right: 20, top: 36, bottom: 10, containLabel: true },
    legend: { top: 4 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "category", data: trace.units, axisLabel: { interval: 0, rotate: 30, width: 110, overflow: "truncate" } },
    yAxis: { type: "value", name: "元" },
    series: trace.series.map(function (s, i) {
      return { name: s.name, type: "bar", barMaxWidth: 18, data: s.data, itemStyle: { color: colours[i % colours.length] } };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
