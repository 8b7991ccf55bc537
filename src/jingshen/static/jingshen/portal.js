// 门户 home page: the heat map of units by level and risk band, drawn with ECharts (served
// from node_modules). A static file, not inline script: the Content-Security-Policy allows only
// the platform's own scripts. The data comes from json_script ("risk-heat-data"); a click on a
// cell opens the full ranking filtered by that level and band.
(function () {
  "use strict";
  var data = document.getElementById("risk-heat-data");
  var box = document.getElementById("risk-heat");
  if (!data || !box || !window.echarts) { return; }
  var heat = JSON.parse(data.textContent);
  var rows = heat.rows.slice().reverse();  // the top level first, at the top
  var cells = [];
  var max = 1;
  rows.forEach(function (row, y) {
    row.cells.forEach(function (n, x) {
      cells.push([x, y, n]);
      if (n > max) { max = n; }
    });
  });
  var chart = window.echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 8, right: 8, top: 10, bottom: 60, containLabel: true },
    tooltip: {
      formatter: function (p) {
        return rows[p.value[1]].label + " · " + heat.columns[p.value[0]].label + "：" + p.value[2] + " 个单位";
      }
    },
    xAxis: { type: "category", data: heat.columns.map(function (c) { return c.label; }), splitArea: { show: true } },
    yAxis: { type: "category", data: rows.map(function (r) { return r.label; }), splitArea: { show: true } },
    visualMap: {
      min: 0, max: max, calculable: false, orient: "horizontal", left: "center", bottom: 0,
      inRange: { color: ["#f8fafc", "#fdb022", "#b3261e"] }
    },
    series: [{ type: "heatmap", data: cells, label: { show: true }, emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } } }]
  });
  chart.on("click", function (p) {
    var column = heat.columns[p.value[0]];
    if (column.key === "unscreened") { return; }  // no ranking row for units no run covered
    location.href = heat.url + "?level=" + encodeURIComponent(rows[p.value[1]].level) + "&band=" + encodeURIComponent(column.key);
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
