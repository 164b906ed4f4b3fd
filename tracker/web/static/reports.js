// The Reports page: From and To follow the period preset that was picked, and changing
// either date by hand makes the period "custom". Served by the app (no CDN, no inline code).
(function () {
  "use strict";
  var form = document.getElementById("report-filters");
  if (!form) { return; }
  var preset = form.querySelector("select[name=periode]");
  var from = form.querySelector("input[name=fra]");
  var to = form.querySelector("input[name=til]");
  if (!preset || !from || !to) { return; }
  var ranges = {};
  try { ranges = JSON.parse(preset.getAttribute("data-presets") || "{}"); } catch (e) { ranges = {}; }
  preset.addEventListener("change", function () {
    var range = ranges[preset.value];
    if (range) { from.value = range[0]; to.value = range[1]; }
  });
  function custom() { preset.value = "custom"; }
  from.addEventListener("input", custom);
  to.addEventListener("input", custom);
}());
