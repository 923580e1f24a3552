// xltool serve: the board's refresh, filter and sort; uploads by drag and drop.
// No inline script anywhere (the pages' Content-Security-Policy forbids it); text from
// the server goes into the page as text, or as HTML the server rendered and escaped.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var LOCALE = document.documentElement.lang || "zh-CN";

  // --- the board -------------------------------------------------------------------
  var RANK = { overdue: 0, "to-fix": 1, missing: 2, passed: 3, exempt: 4 };
  var SORTS = {
    code: function (r) { return [r.code]; },
    department: function (r) { return [r.department]; },
    status: function (r) { return [RANK[r.status], r.code]; },
    forms: function (r) { return [r.passed / Math.max(r.total, 1), r.code]; },
    received: function (r) { return [r.received || "~", r.code]; }
  };

  function compare(a, b) {
    for (var i = 0; i < a.length; i++) {
      if (a[i] < b[i]) return -1;
      if (a[i] > b[i]) return 1;
    }
    return 0;
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function boardRow(r, late) {
    var tr = document.createElement("tr");
    cell(tr, r.code, "mono");
    var name = cell(tr, "");
    var a = document.createElement("a");
    a.href = "/dept/" + encodeURIComponent(r.code);
    a.textContent = r.department;
    name.appendChild(a);
    cell(tr, r.label, "st st-" + r.status);
    cell(tr, r.forms, "num");
    cell(tr, r.returns, "num");
    var when = cell(tr, r.received);
    if (r.late) {
      var tag = document.createElement("span");
      tag.className = "tag late";
      tag.textContent = late;
      when.appendChild(document.createTextNode(" "));
      when.appendChild(tag);
    }
    cell(tr, r.errors, "num");
    cell(tr, r.warnings, "num");
    cell(tr, r.score, "num");
    return tr;
  }

  function setBoard(table, view) {
    var status = document.getElementById("f-status").value;
    var needle = document.getElementById("f-q").value.trim().toLowerCase();
    var sort = document.getElementById("f-sort").value;
    var rows = view.departments.filter(function (r) {
      return (!status || r.status === status) &&
        (!needle || r.code.toLowerCase().indexOf(needle) >= 0 ||
         r.department.toLowerCase().indexOf(needle) >= 0);
    });
    if (SORTS[sort]) {
      rows.sort(function (a, b) { return compare(SORTS[sort](a), SORTS[sort](b)); });
    }
    var body = document.getElementById("rows");
    var fresh = document.createElement("tbody");
    fresh.id = "rows";
    rows.forEach(function (r) { fresh.appendChild(boardRow(r, table.dataset.late)); });
    body.parentNode.replaceChild(fresh, body);
    Object.keys(view.counts).forEach(function (s) {
      var el = document.querySelector('[data-count="' + s + '"]');
      if (el) el.textContent = view.counts[s];
    });
    var cov = view.coverage;
    var put = function (k, v) {
      var el = document.querySelector('[data-cov="' + k + '"]');
      if (el) el.textContent = v;
    };
    put("returned", cov.returned);
    put("departments", cov.departments);
    put("percent", cov.percent);
    put("forms", cov.forms_passed + "/" + cov.forms_total);
    var bar = document.getElementById("coverage-bar");
    if (bar) bar.value = cov.percent;
    var shown = document.getElementById("shown");
    shown.textContent = shown.dataset.text.replace("{n}", rows.length);
    document.querySelectorAll("th a[data-sort]").forEach(function (a) {
      a.classList.toggle("sorted", a.dataset.sort === sort);
    });
  }

  function startBoard(table) {
    var view = null;
    var refreshed = document.getElementById("refreshed");
    function load() {
      fetch("/api/board", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (v) {
          view = v;
          setBoard(table, v);
          refreshed.textContent = refreshed.dataset.text + " " + new Date().toLocaleTimeString(LOCALE, { hour12: false });
        })
        .catch(function () {});
    }
    function redraw(e) { if (e) e.preventDefault(); if (view) setBoard(table, view); }
    document.getElementById("filters").addEventListener("submit", redraw);
    document.getElementById("f-status").addEventListener("change", redraw);
    document.getElementById("f-q").addEventListener("input", redraw);
    document.querySelectorAll("th a[data-sort]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        document.getElementById("f-sort").value = a.dataset.sort;
        redraw(e);
      });
    });
    document.querySelectorAll("a.card-status").forEach(function (a) {
      a.addEventListener("click", function (e) {
        var select = document.getElementById("f-status");
        select.value = select.value === a.dataset.status ? "" : a.dataset.status;
        document.querySelectorAll("a.card-status").forEach(function (c) {
          c.classList.toggle("selected", c.dataset.status === select.value);
        });
        redraw(e);
      });
    });
    load();
    setInterval(load, 10000);
  }

  // --- uploads ---------------------------------------------------------------------
  function pending(form, name) {
    var target = document.getElementById(form.dataset.target);
    var box = document.createElement(target.tagName === "UL" ? "li" : "article");
    box.className = target.tagName === "UL" ? "line line-pending" : "verdict v-pending";
    box.textContent = name + " · " + form.dataset.pending;
    target.insertAdjacentElement(form.dataset.insert, box);
    return box;
  }

  function sendOne(form, file) {
    var box = pending(form, file.name);
    var data = new FormData();
    data.append("csrf", form.querySelector('input[name="csrf"]').value);
    data.append("files", file, file.name);
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRF-Token": form.querySelector('input[name="csrf"]').value }
    }).then(function (r) {
      var type = r.headers.get("content-type") || "";
      if (type.indexOf("application/json") === 0) {
        return r.json().then(function (j) {
          box.className += " line-refused v-refused";
          box.textContent = file.name + " · " + j.error;
        });
      }
      return r.text().then(function (html) {
        box.insertAdjacentHTML("beforebegin", html);
        box.remove();
      });
    }).catch(function () {
      box.textContent = file.name + " · ✕";
    });
  }

  function sendAll(form, files) {
    var list = Array.prototype.slice.call(files);
    var chain = Promise.resolve();
    list.forEach(function (f) { chain = chain.then(function () { return sendOne(form, f); }); });
    return chain;
  }

  // parts of the page the server renders again after an upload (the status, the history)
  function refresh(form) {
    var ids = (form.dataset.refresh || "").split(" ").filter(Boolean);
    if (!ids.length) return Promise.resolve();
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) now.replaceWith(document.importNode(next, true));
        });
      })
      .catch(function () {});
  }

  function startUpload(form) {
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector(".dropzone");
    var done = function () { input.value = ""; return refresh(form); };
    input.addEventListener("change", function () { sendAll(form, input.files).then(done); });
    ["dragenter", "dragover"].forEach(function (k) {
      zone.addEventListener(k, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (k) {
      zone.addEventListener(k, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) sendAll(form, e.dataTransfer.files).then(done);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      sendAll(form, input.files).then(done);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("board");
    if (table) startBoard(table);
    document.querySelectorAll("form.js-upload").forEach(startUpload);
  });
})();
