(function () {
  "use strict";
  var form = document.getElementById("case-filter");
  var table = document.getElementById("case-table");
  if (!form || !table || !table.tBodies.length) { return; }
  var rows = table.tBodies[0].rows;
  var selects = form.getElementsByTagName("select");
  var count = document.getElementById("case-count");
  function apply() {
    var shown = 0;
    for (var j = 0; j < rows.length; j++) {
      var row = rows[j];
      var ok = true;
      for (var i = 0; i < selects.length; i++) {
        var want = selects[i].value;
        if (want && row.getAttribute("data-" + selects[i].name) !== want) { ok = false; break; }
      }
      row.hidden = !ok;
      if (ok) { shown++; }
    }
    count.textContent = "显示 " + shown + " / " + rows.length + " 条";
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  apply();
})();
