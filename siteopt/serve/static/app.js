/* siteopt serve: send the form, poll the solve, put the server's HTML fragments in place. */
(function () {
  "use strict";
  var instance = document.body.getAttribute("data-instance");
  var current = null;   // the job being solved
  var previous = null;  // the last finished job, to compare with
  var started = 0;

  function $(id) { return document.getElementById(id); }
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  function changes() {
    var out = {};
    all(".figure").forEach(function (input) {
      if (input.value !== input.getAttribute("data-base")) {
        var reason = document.querySelector('[name="' + input.name + '.reason"]');
        out[input.name] = { value: input.value, reason: reason ? reason.value : "" };
      }
    });
    return out;
  }

  function excluded() {
    return all(".site-toggle").filter(function (box) { return !box.checked; })
      .map(function (box) { return box.value; });
  }

  function request() {
    return { instance: instance, changes: changes(), excluded: excluded() };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function clearErrors() {
    all(".field-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    all(".field.invalid").forEach(function (div) { div.classList.remove("invalid"); });
    $("form-error").hidden = true;
  }

  function showErrors(errors) {
    errors.forEach(function (error) {
      var spot = error.field ? document.querySelector('[data-error-for="' + error.field + '"]') : null;
      if (!spot) { spot = $("form-error"); }
      spot.textContent = error.message;
      spot.hidden = false;
      var field = document.querySelector('.field[data-field="' + error.field + '"]');
      if (field) { field.classList.add("invalid"); field.scrollIntoView({ block: "center" }); }
    });
  }

  function setStatus(text, css) {
    var status = $("status");
    status.textContent = text;
    status.className = css || "";
  }

  function busy(on) {
    $("solve").disabled = on;
    $("cancel").hidden = !on;
  }

  function solve() {
    clearErrors();
    busy(true);
    setStatus("checking…", "running");
    started = Date.now();
    post("/api/solve", request()).then(function (reply) {
      if (reply.status !== 202) {
        busy(false);
        setStatus("not solved: see the message beside the field", "failed");
        showErrors(reply.data.errors || []);
        return;
      }
      current = reply.data.id;
      poll(current);
    }).catch(function (error) { busy(false); setStatus("the server did not answer: " + error, "failed"); });
  }

  function poll(id) {
    var query = previous ? "?previous=" + encodeURIComponent(previous) : "";
    fetch("/api/jobs/" + id + query).then(function (r) { return r.json(); }).then(function (job) {
      if (id !== current) { return; }
      if (job.state === "queued" || job.state === "running") {
        setStatus(job.state === "queued" ? "waiting for a free solver…" :
          "solving… " + ((Date.now() - started) / 1000).toFixed(1) + " s", "running");
        setTimeout(function () { poll(id); }, 150);
        return;
      }
      busy(false);
      current = null;
      if (job.state === "done") { show(job); }
      else if (job.state === "failed") { setStatus("the solve failed", "failed"); $("form-error").textContent = job.error; $("form-error").hidden = false; }
      else { setStatus("cancelled", ""); }
    }).catch(function (error) { busy(false); setStatus("the server did not answer: " + error, "failed"); });
  }

  function show(job) {
    $("results").classList.remove("stale");
    ["summary", "costs", "constraints", "options", "compare"].forEach(function (part) {
      if (job.html[part] !== undefined) { $(part).innerHTML = job.html[part]; }
    });
    setStatus("solved in " + job.elapsed_s.toFixed(2) + " s (" + job.id + ")", "done");
    var map = $("map");
    if (job.result.sites.length) {
      map.hidden = false;
      $("map-status").hidden = false;
      map.setAttribute("data-job", job.id);
      map.src = "/jobs/" + job.id + "/map";
    } else {
      map.hidden = true;
    }
    $("export").href = "/jobs/" + job.id + "/export.zip";
    $("links").hidden = false;
    document.body.setAttribute("data-job", job.id);
    previous = job.id;
  }

  /* The site marker within 12 px of a clicked point (a drive-time area's invisible hover point
     may be closer to the pointer than the marker itself, and Plotly reports that one). */
  function siteNear(plot, point) {
    var layout = plot._fullLayout, best = null, bestPx = 12;
    plot.data.forEach(function (trace, k) {
      if (String(trace.uid || "").indexOf("siteopt-site-") !== 0 || !plot.calcdata[k]) { return; }
      plot.calcdata[k].forEach(function (site, i) {
        var px = Math.hypot(layout.xaxis.c2p(site.x) - layout.xaxis.c2p(point.x),
                            layout.yaxis.c2p(site.y) - layout.yaxis.c2p(point.y));
        if (px <= bestPx) { bestPx = px; best = String(trace.text[i]); }
      });
    });
    return best;
  }

  /* Write each proposed room's name beside its star (the offline map shows it on hover only). */
  function labelRooms() {
    var frame = $("map").contentWindow;
    var plot = frame && frame.document.getElementById("siteopt-map");
    if (!plot || !frame.Plotly) { return null; }
    var notes = [];
    plot.data.forEach(function (trace, k) {
      if (trace.name !== "proposed room" || !plot.calcdata[k]) { return; }
      plot.calcdata[k].forEach(function (room, i) {
        var name = /<b>(.*?)<\/b>/.exec(String(trace.text[i]));
        notes.push({ x: room.x, y: room.y, text: name ? name[1] : "", showarrow: true, arrowhead: 0,
                     ax: 40, ay: -30, bgcolor: "rgba(255,255,255,0.85)", bordercolor: "#D55E00",
                     font: { size: 13 }, name: "siteopt-room-label" });
      });
    });
    return frame.Plotly.relayout(plot, { annotations: notes });
  }

  /* A click on a site of the map switches it (the map's hover text carries "<br>id · area"). */
  function listenToMapClicks() {
    var doc = $("map").contentDocument;
    var plot = doc && doc.getElementById("siteopt-map");
    if (!plot || !plot.on) { return; }
    plot.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (!point) { return; }
      var pattern = /<br>([a-z0-9][a-z0-9_-]*) · /;
      var match = pattern.exec(String(point.text || "")) || pattern.exec(siteNear(plot, point) || "");
      var box = match && document.querySelector('.site-toggle[value="' + match[1] + '"]');
      if (!box) { return; }
      box.checked = !box.checked;
      stale();
      setStatus((box.checked ? "switched on: " : "switched off: ") +
        box.parentNode.textContent.trim() + "; press Solve", "");
    });
  }

  function cancel() {
    if (!current) { return; }
    var id = current;
    current = null;
    post("/api/jobs/" + id + "/cancel", {}).then(function () { busy(false); setStatus("cancelled", ""); });
  }

  function saveVariant() {
    clearErrors();
    var body = request();
    body.file = $("variant-file").value;
    body.title = $("variant-title").value;
    post("/api/variant", body).then(function (reply) {
      var saved = $("saved");
      if (reply.status !== 201) {
        saved.hidden = true;
        showErrors(reply.data.errors || []);
        return;
      }
      saved.innerHTML = "";
      var link = document.createElement("a");
      link.href = reply.data.url;
      link.textContent = "Saved " + reply.data.saved + ": open it";
      saved.appendChild(link);
      saved.hidden = false;
    });
  }

  function stale() {
    var results = $("results");
    if (results && document.body.hasAttribute("data-job")) {
      results.classList.add("stale");
      setStatus("changed since this answer: press Solve", "");
    }
  }

  function markChanged(input) {
    stale();
    var changed = input.value !== input.getAttribute("data-base");
    var field = input.closest(".field");
    field.classList.toggle("changed", changed);
    field.querySelector(".reason").hidden = !changed;
  }

  function reset() {
    all(".figure").forEach(function (input) { input.value = input.getAttribute("data-base"); markChanged(input); });
    all(".site-toggle").forEach(function (box) { box.checked = !box.hasAttribute("data-base-off"); });
    clearErrors();
    setStatus("", "");
  }

  if (!$("solve")) { return; }
  all(".figure").forEach(function (input) {
    input.addEventListener("input", function () { markChanged(input); });
    input.addEventListener("change", function () { markChanged(input); });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { solve(); } });
  });
  all(".site-toggle").forEach(function (box) { box.addEventListener("change", stale); });
  $("export").addEventListener("click", function () {
    setStatus("preparing the business case (report, maps, workbook, GIS)… the download starts when it is ready", "running");
  });
  $("map").addEventListener("load", function () {
    $("map-status").hidden = true;
    var map = $("map");
    listenToMapClicks();
    Promise.resolve(labelRooms()).then(function () {
      map.setAttribute("data-loaded", map.getAttribute("data-job"));  /* tests wait for this */
    });
  });
  $("solve").addEventListener("click", solve);
  $("cancel").addEventListener("click", cancel);
  $("reset").addEventListener("click", reset);
  $("save-variant").addEventListener("click", saveVariant);
  solve();  // the file's own answer first, so the next solve has something to compare with
})();
