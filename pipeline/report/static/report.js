/* The PSP run report's list of documents: sorting, filtering, paging, and each document's
 * details drawn when a reviewer opens it.
 *
 * It reads the page's JSON data block (#psp-report-data) and builds every element with the DOM:
 * whatever came from a document is set with textContent or as an attribute value, never parsed
 * as HTML, and no event handler is written into the markup (the page's Content-Security-Policy
 * forbids inline script). Plain ES2017, no library, nothing fetched.
 */
(function () {
  "use strict";

  var dataNode = document.getElementById("psp-report-data");
  var root = document.getElementById("doc-list");
  if (!dataNode || !root) {
    return;
  }
  var DATA = JSON.parse(dataNode.textContent);
  var DOCS = DATA.docs;
  var OUTCOMES = DATA.outcomes;
  var OUTCOME_RANK = {};
  OUTCOMES.forEach(function (o, i) { OUTCOME_RANK[o] = i; });
  var BY_ID = new Map(DOCS.map(function (d) { return [d.id, d]; }));
  var PAGE_SIZES = [25, 50, 100, 250, 1000];
  var COLUMNS = [
    { key: null, label: "" },
    { key: "id", label: "#", cls: "num" },
    { key: "file", label: "File" },
    { key: "received", label: "Received" },
    { key: "form", label: "Form" },
    { key: "outcome", label: "Outcome" },
    { key: "findings", label: "Findings" },
    { key: "low", label: "Lowest confidence", cls: "num" }
  ];

  var state = {
    sort: "received",
    dir: 1,
    outcomes: new Set(OUTCOMES),
    form: "",
    query: "",
    page: 0,
    size: 100,
    open: new Set(),
    printing: false
  };
  var view = null; // the filtered, sorted documents; recomputed when a filter or the order changes

  /* ---- building elements: text only ------------------------------------------------------- */

  function h(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (name) {
        var value = props[name];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (name === "text") {
          node.textContent = String(value);
        } else if (name === "className") {
          node.className = value;
        } else {
          node.setAttribute(name, value === true ? "" : String(value));
        }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      append(node, arguments[i]);
    }
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) {
      return;
    }
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(node, c); });
    } else if (typeof child === "string" || typeof child === "number") {
      node.appendChild(document.createTextNode(String(child)));
    } else {
      node.appendChild(child);
    }
  }

  function words(outcome) {
    return outcome.replace(/_/g, " ");
  }

  function badge(outcome) {
    return h("span", { className: "badge " + outcome }, words(outcome));
  }

  function confidence(value) {
    if (value === null || value === undefined) {
      return h("span", { className: "muted" }, "—");
    }
    return h("span", { className: value < DATA.low_confidence ? "low" : null }, value.toFixed(2));
  }

  function number(n) {
    return n.toLocaleString("en-US");
  }

  /* ---- filtering and sorting --------------------------------------------------------------- */

  function haystack(doc) {
    if (doc.hay === undefined) {
      var parts = ["#" + doc.id, doc.file, doc.sender || "", doc.form || "unknown", words(doc.outcome), doc.why];
      doc.findings.forEach(function (f) { parts.push(f.rule || "", f.label || "", f.message); });
      doc.hay = parts.join("\n").toLowerCase();
    }
    return doc.hay;
  }

  var SORT_KEYS = {
    id: function (d) { return d.id; },
    file: function (d) { return d.file.toLowerCase(); },
    received: function (d) { return d.ts; },
    form: function (d) { return d.form || "~"; },
    outcome: function (d) { return OUTCOME_RANK[d.outcome]; },
    findings: function (d) { return d.findings.length; },
    low: function (d) { return d.low === null ? 2 : d.low; }
  };

  function compute() {
    var terms = state.query.toLowerCase().split(/\s+/).filter(Boolean);
    var list = DOCS.filter(function (d) {
      if (!state.outcomes.has(d.outcome)) {
        return false;
      }
      if (state.form && (d.form || "unknown") !== state.form) {
        return false;
      }
      if (terms.length) {
        var text = haystack(d);
        return terms.every(function (t) { return text.indexOf(t) !== -1; });
      }
      return true;
    });
    var key = SORT_KEYS[state.sort];
    var dir = state.dir;
    list.sort(function (a, b) {
      var ka = key(a);
      var kb = key(b);
      if (ka < kb) { return -dir; }
      if (ka > kb) { return dir; }
      return a.id - b.id;
    });
    view = list;
  }

  function changed() {
    view = null;
    state.page = 0;
    render();
  }

  /* ---- the controls ------------------------------------------------------------------------ */

  var searchBox = h("input", { type: "search", id: "doc-search", placeholder: "File, #id, rule, label, sender…", "aria-label": "Search the documents" });
  var outcomeBoxes = {};
  var outcomeSet = h("fieldset", { className: "outcomes" }, h("legend", null, "Outcome"));
  var present = {};
  DOCS.forEach(function (d) { present[d.outcome] = (present[d.outcome] || 0) + 1; });
  OUTCOMES.forEach(function (o) {
    var box = h("input", { type: "checkbox", value: o, checked: true, "data-outcome": o });
    box.checked = true;
    outcomeBoxes[o] = box;
    outcomeSet.appendChild(h("label", null, box, " ", badge(o), " ", h("span", { className: "muted" }, "(" + number(present[o] || 0) + ")")));
  });
  var formSelect = h("select", { id: "doc-form", "aria-label": "Form" }, h("option", { value: "" }, "All forms"));
  Array.from(new Set(DOCS.map(function (d) { return d.form || "unknown"; }))).sort().forEach(function (f) {
    formSelect.appendChild(h("option", { value: f }, f));
  });
  var sizeSelect = h("select", { id: "doc-page-size", "aria-label": "Documents per page" });
  PAGE_SIZES.forEach(function (n) {
    var option = h("option", { value: n }, n + " per page");
    option.selected = n === state.size;
    sizeSelect.appendChild(option);
  });
  var openAll = h("button", { type: "button", id: "doc-open-all" }, "Open all on this page");
  var closeAll = h("button", { type: "button", id: "doc-close-all" }, "Close all");
  var reset = h("button", { type: "button", id: "doc-reset" }, "Show all");

  var status = h("p", { className: "status-line", id: "doc-status", role: "status", "aria-live": "polite" });
  var headRow = h("tr");
  COLUMNS.forEach(function (col) {
    var th = h("th", { className: col.cls || null, scope: "col" });
    if (col.key) {
      th.setAttribute("data-sort", col.key);
      th.appendChild(h("button", { type: "button", "data-sort": col.key }, col.label));
    } else {
      th.appendChild(h("span", { className: "visually-hidden" }, "Details"));
    }
    headRow.appendChild(th);
  });
  var tbody = h("tbody");
  var table = h("table", { className: "docs", id: "doc-table" }, h("thead", null, headRow), tbody);
  var pageLabel = h("span", { className: "page-label" });
  var first = h("button", { type: "button", "data-page": "first" }, "« First");
  var prev = h("button", { type: "button", "data-page": "prev" }, "‹ Previous");
  var next = h("button", { type: "button", "data-page": "next" }, "Next ›");
  var last = h("button", { type: "button", "data-page": "last" }, "Last »");
  var pager = h("div", { className: "pager", id: "doc-pager" }, first, prev, pageLabel, next, last);

  root.appendChild(h("div", { className: "controls" },
    h("label", null, "Search ", searchBox),
    outcomeSet,
    h("label", null, "Form ", formSelect),
    sizeSelect, openAll, closeAll, reset));
  root.appendChild(status);
  root.appendChild(table);
  root.appendChild(pager);

  /* ---- one document ------------------------------------------------------------------------ */

  function row(doc) {
    var isOpen = state.open.has(doc.id);
    var rules = Array.from(new Set(doc.findings.map(function (f) { return f.rule; }).filter(Boolean))).sort();
    return h("tr", { className: "doc-row" + (isOpen ? " open" : ""), id: "doc-" + doc.id, "data-id": doc.id },
      h("td", null, h("button", {
        type: "button", className: "toggle", "data-toggle": doc.id, "aria-expanded": isOpen ? "true" : "false",
        "aria-controls": "detail-" + doc.id, "aria-label": (isOpen ? "Close" : "Open") + " document #" + doc.id
      }, isOpen ? "▾" : "▸")),
      h("td", { className: "num" }, String(doc.id)),
      h("td", { className: "file" }, h("a", { href: "#doc-" + doc.id, "data-doc": doc.id }, doc.file)),
      h("td", { className: "nowrap" }, doc.at),
      h("td", { className: "nowrap" }, doc.form || "unknown"),
      h("td", null, badge(doc.outcome)),
      h("td", null, doc.findings.length ? String(doc.findings.length) + (rules.length ? " · " + rules.join(", ") : "") : h("span", { className: "muted" }, "none")),
      h("td", { className: "num" }, confidence(doc.low)));
  }

  function value(text) {
    return text === "" || text === null || text === undefined ? h("span", { className: "empty-value" }, "(empty)") : text;
  }

  function detail(doc) {
    var box = h("div", { className: "doc-detail" });
    box.appendChild(h("p", { className: "why" }, badge(doc.outcome), " ", doc.why));
    var meta = h("p", { className: "meta" },
      (doc.form ? DATA.forms[doc.form].title : "Unknown document") + (doc.version ? " " + doc.version : ""), " · received ", doc.at,
      doc.kind ? " · read as " + doc.kind : "",
      doc.sender ? [" · sent by ", h("span", null, doc.sender)] : "",
      h("br"), "sha256 ", h("code", null, doc.sha256), " · original kept at ", h("code", null, doc.stored));
    if (doc.notice) {
      meta.appendChild(h("br"));
      append(meta, ["Notice written to ", doc.notice.to ? doc.notice.to : h("strong", null, "no address (send it by hand)"), ": ", h("code", null, doc.notice.path)]);
    }
    box.appendChild(meta);

    if (doc.findings.length) {
      var rows = doc.findings.map(function (f) {
        return h("tr", null,
          h("td", { className: "nowrap" }, f.rule || "—"),
          h("td", null, f.label || ""),
          h("td", null, f.field ? value(f.read) : ""),
          h("td", { className: "small" }, f.where || ""),
          h("td", { className: "num" }, f.field ? confidence(f.confidence) : ""),
          h("td", null, h("span", { className: "sev-" + f.severity }, f.severity), " ", f.message));
      });
      box.appendChild(h("h3", null, "Findings"));
      box.appendChild(h("table", { className: "findings" },
        h("thead", null, h("tr", null, h("th", null, "Rule"), h("th", null, "Field"), h("th", null, "Value as read"),
          h("th", null, "Where read"), h("th", { className: "num" }, "Confidence"), h("th", null, "What is wrong"))),
        h("tbody", null, rows)));
    }

    var layout = doc.form ? DATA.forms[doc.form] : null;
    if (layout && layout.sections && doc.values.length) {
      var flagged = {};
      doc.findings.forEach(function (f) {
        if (f.field) {
          (flagged[f.field] = flagged[f.field] || []).push(f);
        }
      });
      box.appendChild(h("h3", null, "The form as read"));
      var index = 0;
      layout.sections.forEach(function (section) {
        var body = h("tbody");
        section.fields.forEach(function (field) {
          var v = doc.values[index++] || ["", 0, null];
          var conf = v.length > 2 ? v[2] : 1;
          var marks = (flagged[field[0]] || []).map(function (f) {
            return h("span", { className: "sev-" + f.severity + " small" }, " " + (f.rule || f.severity));
          });
          body.appendChild(h("tr", { className: marks.length ? "has-finding" : null },
            h("td", { className: "label" }, field[1]),
            h("td", { className: "value" }, value(v[0]), marks,
              v.length > 3 && v[3] !== "" ? h("span", { className: "as-read" }, "written as: " + v[3]) : null),
            h("td", { className: "src" }, DATA.places[v[1]], conf === null ? null : [" · ", confidence(conf)])));
        });
        box.appendChild(h("h4", null, section.title));
        box.appendChild(h("table", { className: "form" }, body));
      });
    } else if (doc.outcome !== "duplicate") {
      box.appendChild(h("p", { className: "muted" }, "Not read as one of the two forms: there are no fields to show."));
    }
    return h("tr", { className: "detail", id: "detail-" + doc.id }, h("td", { colspan: COLUMNS.length }, box));
  }

  /* ---- drawing ----------------------------------------------------------------------------- */

  function pages() {
    return Math.max(1, Math.ceil(view.length / state.size));
  }

  function render() {
    if (view === null) {
      compute();
    }
    state.page = Math.min(state.page, pages() - 1);
    var start = state.printing ? 0 : state.page * state.size;
    var end = state.printing ? view.length : Math.min(view.length, start + state.size);
    var fragment = document.createDocumentFragment();
    for (var i = start; i < end; i++) {
      fragment.appendChild(row(view[i]));
      if (state.open.has(view[i].id)) {
        fragment.appendChild(detail(view[i]));
      }
    }
    if (!view.length) {
      fragment.appendChild(h("tr", null, h("td", { colspan: COLUMNS.length, className: "muted" }, "No document of this run matches.")));
    }
    tbody.replaceChildren(fragment);

    var filtered = view.length !== DOCS.length ? " (of " + number(DOCS.length) + " in this run)" : "";
    status.textContent = view.length
      ? "Showing " + number(start + 1) + "–" + number(end) + " of " + number(view.length) + " documents" + filtered + "."
      : "No document matches" + filtered + ".";
    pageLabel.textContent = "Page " + number(state.page + 1) + " of " + number(pages());
    first.disabled = prev.disabled = state.page === 0;
    next.disabled = last.disabled = state.page >= pages() - 1;
    headRow.querySelectorAll("th[data-sort]").forEach(function (th) {
      var key = th.getAttribute("data-sort");
      th.setAttribute("aria-sort", key === state.sort ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
    searchBox.value = state.query;
    formSelect.value = state.form;
    OUTCOMES.forEach(function (o) { outcomeBoxes[o].checked = state.outcomes.has(o); });
  }

  /* Show one document: clear the filters that hide it, turn to its page, open it, scroll to it. */
  function reveal(id, scroll) {
    var doc = BY_ID.get(id);
    if (!doc) {
      return false;
    }
    if (view === null) {
      compute();
    }
    var at = view.indexOf(doc);
    if (at === -1) {
      state.query = "";
      state.form = "";
      state.outcomes = new Set(OUTCOMES);
      compute();
      at = view.indexOf(doc);
    }
    state.page = Math.floor(at / state.size);
    state.open.add(id);
    render();
    var node = document.getElementById("doc-" + id);
    if (node && scroll) {
      node.scrollIntoView({ block: "start" });
    }
    return true;
  }

  /* ---- events (all attached here; none in the markup) -------------------------------------- */

  var typing = null;
  searchBox.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () {
      state.query = searchBox.value;
      changed();
    }, 120);
  });
  outcomeSet.addEventListener("change", function (event) {
    var box = event.target;
    if (box.checked) {
      state.outcomes.add(box.value);
    } else {
      state.outcomes.delete(box.value);
    }
    changed();
  });
  formSelect.addEventListener("change", function () {
    state.form = formSelect.value;
    changed();
  });
  sizeSelect.addEventListener("change", function () {
    state.size = parseInt(sizeSelect.value, 10);
    state.page = 0;
    render();
  });
  openAll.addEventListener("click", function () {
    var start = state.page * state.size;
    view.slice(start, start + state.size).forEach(function (d) { state.open.add(d.id); });
    render();
  });
  closeAll.addEventListener("click", function () {
    state.open.clear();
    render();
  });
  reset.addEventListener("click", function () {
    state.query = "";
    state.form = "";
    state.outcomes = new Set(OUTCOMES);
    changed();
  });
  headRow.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-sort]");
    if (!button) {
      return;
    }
    var key = button.getAttribute("data-sort");
    state.dir = key === state.sort ? -state.dir : 1;
    state.sort = key;
    changed();
  });
  pager.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-page]");
    if (!button) {
      return;
    }
    var where = button.getAttribute("data-page");
    state.page = where === "first" ? 0 : where === "last" ? pages() - 1
      : Math.max(0, Math.min(pages() - 1, state.page + (where === "next" ? 1 : -1)));
    render();
    table.scrollIntoView({ block: "start" });
  });
  tbody.addEventListener("click", function (event) {
    var toggle = event.target.closest("button[data-toggle]");
    if (!toggle) {
      return;
    }
    var id = parseInt(toggle.getAttribute("data-toggle"), 10);
    if (state.open.has(id)) {
      state.open.delete(id);
    } else {
      state.open.add(id);
    }
    render();
    var again = tbody.querySelector("button[data-toggle='" + id + "']");
    if (again) {
      again.focus();
    }
  });
  /* Links to a document (from this list or from "Needs a person") and count cells (filters). */
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a");
    if (!link) {
      return;
    }
    var href = link.getAttribute("href") || "";
    var match = /^#doc-(\d+)$/.exec(href);
    if (match && reveal(parseInt(match[1], 10), true)) {
      event.preventDefault();
      if (location.hash !== href) {
        history.pushState(null, "", href);
      }
      return;
    }
    if (link.hasAttribute("data-outcome") || link.hasAttribute("data-form")) {
      event.preventDefault();
      var outcome = link.getAttribute("data-outcome");
      state.outcomes = outcome ? new Set([outcome]) : new Set(OUTCOMES);
      state.form = link.getAttribute("data-form") || "";
      state.query = "";
      changed();
      document.getElementById("documents").scrollIntoView({ block: "start" });
    }
  });
  function followHash() {
    var match = /^#doc-(\d+)$/.exec(location.hash);
    if (match) {
      reveal(parseInt(match[1], 10), true);
    }
  }
  window.addEventListener("hashchange", followHash);
  /* Printed: every document as filtered, not only this page (details of the open ones). */
  window.addEventListener("beforeprint", function () {
    state.printing = true;
    render();
  });
  window.addEventListener("afterprint", function () {
    state.printing = false;
    render();
  });

  document.documentElement.classList.add("js");
  render();
  followHash();
  document.documentElement.setAttribute("data-ready", "true");
  if (window.performance && performance.mark) {
    performance.mark("psp-report-ready"); // read by benchmarks/report_open.py
  }
})();
