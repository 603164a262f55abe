// The cleanups dashboard: plain browser JavaScript, no build step, no framework.
// Every URL is relative to where the page is served (a stage prefix stays in front of it);
// the access token lives in this closure only, never in storage or the URL.
(() => {
  "use strict";

  const JSONAPI = "application/vnd.api+json";
  const POLL_MS = 1500;
  const RATE_WINDOW_MS = 15000; // client-side rate: processed over the last samples in this window
  const ACTIVE = ["pending", "in_progress"];
  const FINISHED = ["completed", "interrupted"];
  const BASE = location.pathname.replace(/\/dashboard\/?$/, "");

  let token = null;
  let pollTimer = null;
  let openId = null;
  let previewed = null; // what the last successful preview was of: the attributes a create sends
  const samples = new Map(); // cleanup id -> [{at, done}] for a rate when the API gives none
  const statuses = new Map(); // cleanup id -> last seen status, to announce changes
  const rates = new Map(); // cleanup id -> the rate its card shows, for its details

  const $ = (id) => document.getElementById(id);

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
    }
    node.append(...children.filter((child) => child !== null));
    return node;
  }

  function say(text) {
    $("message").textContent = text;
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  function errorText(body, status) {
    const first = body && Array.isArray(body.errors) && body.errors[0];
    if (!first) return `HTTP ${status}`;
    const pointer = first.source && (first.source.pointer || first.source.parameter);
    return `${first.title || first.code}: ${first.detail || ""}${pointer ? ` (${pointer})` : ""}`;
  }

  async function bodyOf(response) {
    // A gateway's own error page may not be JSON: show its status instead.
    try {
      return JSON.parse(await response.text());
    } catch (error) {
      return null;
    }
  }

  async function call(method, path, body) {
    const headers = { Accept: JSONAPI, Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = JSONAPI;
    const response = await fetch(BASE + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
    const parsed = await bodyOf(response);
    if (response.status === 401) logout("The session ended: log in again.");
    if (!response.ok) throw new ApiError(response.status, errorText(parsed, response.status));
    return parsed;
  }

  // --- login --------------------------------------------------------------------------------

  async function login(event) {
    event.preventDefault();
    const clientId = $("client-id").value.trim();
    const secret = $("client-secret").value;
    if (!clientId || !secret) {
      say("Enter a client id and a client secret.");
      return;
    }
    $("login-button").disabled = true;
    try {
      const response = await fetch(`${BASE}/oauth/token`, {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ grant_type: "client_credentials", client_id: clientId, client_secret: secret }),
        credentials: "omit", cache: "no-store",
      });
      const body = await bodyOf(response);
      if (!response.ok) throw new ApiError(response.status, errorText(body, response.status));
      token = body.access_token;
      $("client-secret").value = "";
      say("");
      $("who").textContent = `Signed in as ${clientId}`;
      for (const id of ["who", "logout", "app"]) $(id).hidden = false;
      $("login").hidden = true;
      await loadTypes();
      await refresh();
      pollTimer = setInterval(refresh, POLL_MS);
      // schedules.js (and any panel of its own file) calls the API through `call`: the token stays here.
      document.dispatchEvent(new CustomEvent("cleanups:login", { detail: { call, element, say, keepFocus, waitForPreview } }));
      $("resource-type").focus();
    } catch (error) {
      say(`Login failed: ${error.message}`);
    } finally {
      $("login-button").disabled = false;
    }
  }

  function logout(reason = "") {
    token = null;
    clearInterval(pollTimer);
    pollTimer = null;
    openId = null;
    for (const id of ["who", "logout", "app", "details"]) $(id).hidden = true;
    $("login").hidden = false;
    $("cleanup-list").replaceChildren();
    document.dispatchEvent(new CustomEvent("cleanups:logout"));
    say(reason);
    $("client-id").focus();
  }

  // --- progress, rate and ETA ----------------------------------------------------------------

  function done(a) {
    return (a.processed_count || 0) + (a.errors_count || 0);
  }

  function percentOf(a) {
    if (typeof a.progress_percent === "number") return a.progress_percent;
    if (a.records_count === null || a.records_count === undefined) return 0;
    if (a.records_count === 0) return 100;
    return Math.min(100, Math.round((1000 * done(a)) / a.records_count) / 10);
  }

  function sampleRate(id, a, now) {
    const seen = (samples.get(id) || []).filter((s) => now - s.at <= RATE_WINDOW_MS);
    seen.push({ at: now, done: done(a) });
    samples.set(id, seen);
    const first = seen[0];
    const seconds = (now - first.at) / 1000;
    return seconds >= 1 && done(a) > first.done ? (done(a) - first.done) / seconds : null;
  }

  function progressOf(id, a, now = Date.now(), measured = sampleRate(id, a, now)) {
    if (a.status !== "in_progress") return { percent: percentOf(a), rate: null, eta: null };
    const rate = typeof a.records_per_second === "number" ? a.records_per_second : measured;
    let eta = a.estimated_completion_at ? new Date(a.estimated_completion_at) : null;
    if (!eta && rate && a.records_count) eta = new Date(now + (1000 * (a.records_count - done(a))) / rate);
    return { percent: percentOf(a), rate, eta };
  }

  function progressText(p) {
    const parts = [`${p.percent.toFixed(1)} %`];
    if (p.rate) parts.push(`${p.rate >= 10 ? Math.round(p.rate) : p.rate.toFixed(1)} records/s`);
    if (p.eta) parts.push(`ETA ${p.eta.toLocaleTimeString()}`);
    return parts.join(" · ");
  }

  // --- the list --------------------------------------------------------------------------------

  // Never restored, or its restore interrupted (asking again resumes it).
  function canRestore(a) {
    return FINISHED.includes(a.status) && [null, "interrupted"].includes(a.restore_status)
      && a.restorable_until !== null && new Date(a.restorable_until) > new Date();
  }

  function actionsOf(item) {
    const a = item.attributes;
    const running = ACTIVE.includes(a.status) || ACTIVE.includes(a.restore_status);
    return element("div", { class: "actions" },
      element("button", { type: "button", "data-action": "details", onclick: () => openDetails(item.id),
        "aria-label": `Details of cleanup ${item.id}`, text: "Details" }),
      running ? element("button", { type: "button", class: "danger", "data-action": "interrupt",
        onclick: () => patch(item.id, { _interrupt: true }, "Interrupt asked"),
        "aria-label": `Interrupt cleanup ${item.id}`, text: "Interrupt" }) : null,
      canRestore(a) ? element("button", { type: "button", "data-action": "restore",
        onclick: () => patch(item.id, { _restore: true }, a.restore_status ? "Restore asked again" : "Restore asked"),
        "aria-label": `Restore what cleanup ${item.id} deleted`,
        text: a.restore_status ? "Resume restore" : "Restore" }) : null);
  }

  function card(item, now) {
    const a = item.attributes;
    const p = progressOf(item.id, a, now);
    rates.set(item.id, p.rate);
    const label = `Progress of cleanup ${item.id}`;
    const restore = a.restore_status
      ? element("p", { class: "muted", text: `Restore ${a.restore_status}: ${a.restored_count || 0} restored` })
      : null;
    return element("li", { class: `card status-${a.status}`, "data-id": item.id, "data-status": a.status },
      element("div", { class: "line" },
        element("strong", { text: a.resource_type }),
        element("span", { class: "badge", text: a.status.replace("_", " ") }),
        element("code", { class: "id", text: item.id })),
      element("progress", { max: "100", value: String(p.percent), "aria-label": label }),
      element("p", { class: "progress-text", text: `${progressText(p)} — ${done(a)} of ${a.records_count ?? "?"}` }),
      restore,
      actionsOf(item));
  }

  function announce(items) {
    for (const item of items) {
      const before = statuses.get(item.id);
      if (before && before !== item.attributes.status) {
        $("list-state").textContent = `Cleanup ${item.id} is now ${item.attributes.status.replace("_", " ")}.`;
      }
      statuses.set(item.id, item.attributes.status);
    }
  }

  function keepFocus(list, render) {
    // Re-rendering replaces the buttons: put keyboard focus back on the same one.
    const focused = document.activeElement;
    const li = focused && list.contains(focused) ? focused.closest("li") : null;
    const key = li ? [li.dataset.id, focused.dataset.action] : null;
    render();
    if (key) {
      const again = list.querySelector(`li[data-id="${key[0]}"] [data-action="${key[1]}"]`);
      (again || list).focus();
    }
  }

  async function refresh() {
    if (!token) return;
    try {
      const page = await call("GET", "/api/cleanups?sort=-created_at&page%5Bsize%5D=25");
      const now = Date.now();
      const list = $("cleanup-list");
      keepFocus(list, () => list.replaceChildren(...page.data.map((item) => card(item, now))));
      announce(page.data);
      if (!page.data.length) $("list-state").textContent = "No cleanups yet.";
      if (openId) await showDetails(openId, false);
    } catch (error) {
      if (token) say(`Could not list cleanups: ${error.message}`);
    }
  }

  async function patch(id, attributes, verb) {
    try {
      await call("PATCH", `/api/cleanups/${encodeURIComponent(id)}`,
        { data: { type: "cleanups", id, attributes } });
      say(`${verb} for cleanup ${id}.`);
      await refresh();
    } catch (error) {
      say(`${verb} failed: ${error.message}`);
    }
  }

  // --- details ---------------------------------------------------------------------------------

  function shown(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function errorsTable(log, caption) {
    const entries = Object.entries(log || {});
    if (!entries.length) return element("p", { class: "muted", text: `${caption}: none.` });
    const rows = entries.map(([key, messages]) => element("tr", {},
      element("th", { scope: "row", text: key }),
      element("td", { text: Array.isArray(messages) ? messages.join("; ") : shown(messages) })));
    return element("table", { class: "errors" },
      element("caption", { text: `${caption} (${entries.length})` }),
      element("thead", {}, element("tr", {}, element("th", { scope: "col", text: "Record" }),
        element("th", { scope: "col", text: "Error" }))),
      element("tbody", {}, ...rows));
  }

  // The complete report (report_url): a presigned link, signed again on each read of the cleanup.
  function reportLink(a) {
    if (!a.report_url) {
      const ended = a.status === "completed" || a.status === "interrupted";
      const why = ended ? "being written, or expired with the restore window" : "written once the cleanup ends";
      return element("p", { class: "muted", id: "details-report", text: `Report: ${why}.` });
    }
    return element("p", { id: "details-report" }, "Report: ",
      element("a", { href: a.report_url, download: "", rel: "noopener", text: "download the CSV (every record)" }));
  }

  async function showDetails(id, focus) {
    const document_ = await call("GET", `/api/cleanups/${encodeURIComponent(id)}`);
    const a = document_.data.attributes;
    const p = progressOf(id, a, Date.now(), rates.get(id) ?? null);
    const facts = element("dl", { class: "facts" });
    const names = ["status", "resource_type", "filters", "records_count", "processed_count", "errors_count",
      "created_at", "started_at", "completed_at", "interrupted_at", "restorable_until", "restore_status",
      "restored_count", "restore_errors_count", "max_records_per_second", "reference", "metadata"];
    for (const name of names.filter((n) => n in a)) {
      facts.append(element("dt", { text: name.replace(/_/g, " ") }), element("dd", { text: shown(a[name]) }));
    }
    $("details-title").textContent = `Cleanup ${id}`;
    $("details-bar").value = p.percent;
    const text = `${a.status.replace("_", " ")}: ${progressText(p)}`;
    if ($("details-progress").textContent !== text) $("details-progress").textContent = text;
    const restoreErrors = Object.keys(a.restore_errors_log || {}).length
      ? [errorsTable(a.restore_errors_log, "Restore errors log")] : [];
    $("details-body").replaceChildren(facts, reportLink(a), errorsTable(a.errors_log, "Errors log"),
      ...restoreErrors);
    $("details").hidden = false;
    if (focus) $("details-title").focus();
  }

  async function openDetails(id) {
    openId = id;
    try {
      await showDetails(id, true);
    } catch (error) {
      say(`Could not open cleanup ${id}: ${error.message}`);
    }
  }

  function closeDetails() {
    const id = openId;
    openId = null;
    $("details").hidden = true;
    const again = id && document.querySelector(`li[data-id="${id}"] [data-action="details"]`);
    (again || $("cleanup-list")).focus();
  }

  // --- preview, then create --------------------------------------------------------------------

  async function loadTypes() {
    // The served OpenAPI document names the types a cleanup may clean.
    const select = $("resource-type");
    if (select.options.length) return;
    let types = ["skus"];
    try {
      const response = await fetch(`${BASE}/api/openapi.json`, { credentials: "omit" });
      types = (await response.json()).components.schemas.CleanableType.enum;
    } catch (error) {
      say("Could not read the resource types: only skus is offered.");
    }
    select.replaceChildren(...types.map((t) => element("option", { value: t, text: t })));
    select.value = types.includes("skus") ? "skus" : types[0];
  }

  function addFilterRow(key = "", value = "") {
    const n = $("filter-rows").children.length + 1;
    const row = element("li", { class: "row" },
      element("label", { for: `filter-key-${n}`, text: "Key" }),
      element("input", { id: `filter-key-${n}`, class: "filter-key", value: key, placeholder: "code_start",
        spellcheck: "false" }),
      element("label", { for: `filter-value-${n}`, text: "Value" }),
      element("input", { id: `filter-value-${n}`, class: "filter-value", value, placeholder: "SKU-",
        spellcheck: "false" }));
    row.append(element("button", { type: "button", "aria-label": `Remove filter ${n}`, text: "Remove",
      onclick: () => { row.remove(); formChanged(); $("add-filter").focus(); } }));
    $("filter-rows").append(row);
    return row;
  }

  function filtersOf() {
    if ($("filters-as-json").checked) {
      const text = $("filters-json").value.trim() || "{}";
      const parsed = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("the filters must be a JSON object");
      }
      return parsed;
    }
    const filters = {};
    for (const row of $("filter-rows").children) {
      const key = row.querySelector(".filter-key").value.trim();
      const value = row.querySelector(".filter-value").value.trim();
      // As text, like a query string: the service types it by the attribute (a,b,c for a list).
      if (key) filters[key] = value;
    }
    return filters;
  }

  function formChanged() {
    previewed = null;
    $("create-button").disabled = true;
  }

  async function serverPreview(attributes) {
    const document_ = await call("POST", "/api/cleanup_previews", { data: { type: "cleanup_previews", attributes } });
    return waitForPreview(document_.data);
  }

  // A preview too large to count within the request is pending while the worker counts it: poll it,
  // showing the records counted so far in `into` (its progress line `progressId`), until it is completed (or
  // failed, with its errors). schedules.js waits for its own previews through it too.
  async function waitForPreview(resource, into = $("preview"), progressId = "preview-progress") {
    let found = resource.attributes;
    while (found.status === "pending") {
      into.replaceChildren(countingView(found, progressId));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      found = (await call("GET", `/api/cleanup_previews/${encodeURIComponent(resource.id)}`)).data.attributes;
    }
    if (found.status === "failed") {
      throw new Error(Object.values(found.errors || {}).flat().join("; ") || "the preview could not be counted");
    }
    return found;
  }

  function countingView(found, progressId) {
    return element("div", { class: "panel-inner" },
      element("p", { id: progressId, role: "status",
        text: `Counting: ${Number(found.counted_count || 0).toLocaleString("en")} records counted so far` }),
      element("progress", { "aria-label": "Counting the preview" }));
  }

  async function listPreview(attributes) {
    // Without a preview endpoint: the list route takes the same filters (no associated counts).
    const params = new URLSearchParams({ "page[size]": "10" });
    for (const [key, value] of Object.entries(attributes.filters)) {
      const text = Array.isArray(value) ? value.join(",") : value;
      params.set(`filter[q][${key}]`, typeof text === "object" ? JSON.stringify(text) : String(text));
    }
    const page = await call("GET", `/api/${encodeURIComponent(attributes.resource_type)}?${params}`);
    return { records_count: page.meta.record_count, associated_counts: null, items_count: null,
      sample: page.data.map((r) => ({ id: r.id, code: r.attributes.code, name: r.attributes.name })) };
  }

  function previewView(attributes, found) {
    const facts = element("dl", { class: "facts" },
      element("dt", { text: "records" }), element("dd", { id: "preview-records", text: String(found.records_count) }));
    const associated = found.associated_counts;
    if (associated) {
      for (const [type, n] of Object.entries(associated)) {
        facts.append(element("dt", { text: type }), element("dd", { "data-type": type, text: String(n) }));
      }
      facts.append(element("dt", { text: "items in all" }), element("dd", { text: shown(found.items_count) }));
    }
    if (typeof found.estimated_seconds === "number") {
      facts.append(element("dt", { text: "estimated time" }),
        element("dd", { text: `${Math.ceil(found.estimated_seconds)} s` }));
    }
    const sample = (found.sample || []).map((r) => element("li", {},
      element("code", { text: r.id }), ` ${[r.code, r.name].filter(Boolean).join(" — ")}`));
    return element("div", { class: "panel-inner" },
      element("h3", { id: "preview-title", tabindex: "-1",
        text: `Preview: ${found.records_count} ${attributes.resource_type}` }),
      facts,
      associated ? null : element("p", { class: "muted", text: "Associated counts need the preview endpoint." }),
      sample.length ? element("ul", { class: "sample", "aria-label": "Sample of the records" }, ...sample) : null);
  }

  async function preview(event) {
    event.preventDefault();
    formChanged();
    let attributes;
    try {
      attributes = { resource_type: $("resource-type").value, filters: filtersOf() };
    } catch (error) {
      say(`Filters: ${error.message}`);
      return;
    }
    $("preview-button").disabled = true;
    try {
      let found;
      let guarded = attributes;
      try {
        found = await serverPreview(attributes);
        // A service with previews also refuses a create whose selection changed since (422).
        guarded = { ...attributes, expected_records_count: found.records_count };
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 404) throw error;
        found = await listPreview(attributes);
      }
      $("preview").replaceChildren(previewView(attributes, found));
      previewed = guarded;
      $("create-button").disabled = found.records_count === 0;
      say("");
      $("preview-title").focus();
    } catch (error) {
      $("preview").replaceChildren();
      say(`Preview failed: ${error.message}`);
    } finally {
      $("preview-button").disabled = false;
    }
  }

  async function create() {
    if (!previewed) return;
    $("create-button").disabled = true;
    try {
      const document_ = await call("POST", "/api/cleanups", { data: { type: "cleanups", attributes: previewed } });
      previewed = null;
      $("preview").replaceChildren();
      say(`Cleanup ${document_.data.id} created.`);
      await refresh();
      await openDetails(document_.data.id);
    } catch (error) {
      say(`Create failed: ${error.message}`);
      $("create-button").disabled = false;
    }
  }

  function filtersAs() {
    const json = $("filters-as-json").checked;
    $("filter-json-box").hidden = !json;
    $("filter-rows-box").hidden = json;
    formChanged();
  }

  // --- wiring ----------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", () => logout("Logged out."));
    $("close-details").addEventListener("click", closeDetails);
    $("preview-form").addEventListener("submit", preview);
    $("preview-form").addEventListener("input", formChanged);
    $("create-button").addEventListener("click", create);
    $("add-filter").addEventListener("click", () => { addFilterRow().querySelector("input").focus(); formChanged(); });
    for (const id of ["filters-as-rows", "filters-as-json"]) $(id).addEventListener("change", filtersAs);
    addFilterRow();
    $("cleanup-list").setAttribute("tabindex", "-1");
    $("client-id").focus();
  });
})();
