// 年度统计报表 charts (ECharts, served from node_modules): projects by stage, problems by type.
// The figures come from the page (json_script #statistics-data); the tables beside the charts
// hold the same numbers for reading and printing.
(function () {
  "use strict";
  var data = document.getElementById("statistics-data");
  if (!data || !window.echarts) { return; }
  var figures = JSON.parse(data.textContent);
  var charts = [];

  var stageBox = document.getElementById("stage-chart");
  if (stageBox) {
    var stages = window.echarts.init(stageBox, null, { renderer: "svg" });
    stages.setOption({
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: figures.stages.map(function (s) { return s.name; }), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1, name: "项目数" },
      series: [{ type: "bar", barMaxWidth: 28, data: figures.stages.map(function (s) { return s.value; }),
                 itemStyle: { color: "#1f4e8c" }, label: { show: true, position: "top" } }]
    });
    charts.push(stages);
  }

  var problemBox = document.getElementById("problem-chart");
  if (problemBox) {
    var problems = window.echarts.init(problemBox, null, { renderer: "svg" });
    var rows = figures.problems.map(function (p) { return { name: p.name, value: p.value, amount: p.amount }; });
    problems.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        return p.name + "：" + p.value + " 个问题，涉及金额 " + Number(p.data.amount).toLocaleString("zh-CN", { minimumFractionDigits: 2 }) + " 元";
      } },
      title: rows.length ? undefined : { text: "暂无审计发现", left: "center", top: "middle", textStyle: { color: "#98a2b3", fontSize: 14 } },
      series: [{ type: "pie", radius: ["35%", "65%"], data: rows, label: { formatter: "{b}\n{c} 个" } }]
    });
    charts.push(problems);
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
