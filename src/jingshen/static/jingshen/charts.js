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


// Grouped bar charts of 穿透式监督 (资金穿透, 预算执行, 上下级对账): every element with
// data-chart="bars" draws the JSON of the element named by its data-source:
// {"categories": [...], "series": [{"name": ..., "data": [...]}], "horizontal": false}.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var colours = ["#1f4e8c", "#dc6803", "#7a5af8", "#12b76a"];
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart=bars]"), function (box) {
    var source = document.getElementById(box.getAttribute("data-source"));
    if (!source) { return; }
    var d = JSON.parse(source.textContent);
    var names = { type: "category", data: d.categories, axisLabel: d.horizontal ? { width: 200, overflow: "truncate" } :
      { interval: 0, rotate: 30, width: 110, overflow: "truncate" } };
    var values = { type: "value", name: d.unit || "元" };
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      grid: { left: 8, right: 24, top: 36, bottom: 10, containLabel: true },
      legend: { top: 4 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: d.horizontal ? values : names,
      yAxis: d.horizontal ? names : values,
      series: d.series.map(function (s, i) {
        return { name: s.name, type: "bar", barMaxWidth: 18, data: s.data, itemStyle: { color: colours[i % colours.length] } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
