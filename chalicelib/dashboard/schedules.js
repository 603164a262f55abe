// The dashboard's schedules panel: the tenant's schedules with their next and last runs, pause, resume and
// run-now buttons, and a create form that previews what a run now would select (relative dates resolved to
// now, as the CLI does) before it creates. It calls the API only through the `call` app.js hands over
// on login ("cleanups:login"), so the token stays in app.js's closure; it stops on "cleanups:logout".
(() => {
  "use strict";

  const POLL_MS = 5000;
  const ROUTE = "/api/cleanup_schedules";
  const $ = (id) => document.getElementById(id);

  let page = null; // { call, element, say, keepFocus, waitForPreview } from app.js while logged in
  let timer = null;
  let previewed = null; // the attributes the last preview was of: what Create sends, until the form changes

  // A relative value ("now-P30D", "now-PT12H"; ISO 8601 durations) of an order predicate, as the service reads it
  const ORDER_KEY = /_(lt|lteq|gt|gteq)(_any|_all)?$/;
  const RELATIVE = /^now-P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

  function when(timestamp) {
    // A cron is UTC: its times read in UTC too, to the minute.
    return timestamp ? `${timestamp.slice(0, 16).replace("T", " ")} UTC` : "—";
  }

  function button(item, action, text, label, onclick) {
    return page.element("button", { type: "button", "data-action": action, "aria-label": `${label} ${item.id}`,
      text, onclick });
  }

  function card(item) {
    const a = item.attributes;
    const el = page.element;
    const state = a.enabled ? "enabled" : "paused";
    const runs = a.runs_count || 0;
    const last = a.last_run_at ? `${when(a.last_run_at)} (${(a.last_run_outcome || "").replace(/_/g, " ")})` : "never";
    return el("li", { class: `card status-${a.enabled ? "completed" : "pending"}`, "data-id": item.id,
      "data-enabled": String(Boolean(a.enabled)), "data-outcome": a.last_run_outcome || "",
      "data-runs": String(runs) },
    el("div", { class: "line" },
      el("strong", { text: a.name || item.id }),
      el("span", { class: "badge", text: state }),
      el("code", { class: "id", text: item.id })),
    el("p", { class: "muted", text: `${a.resource_type} · ${a.cron} · ${JSON.stringify(a.filters || {})}` }),
    el("p", { class: "progress-text", text: `Next run: ${a.enabled ? when(a.next_run_at) : "paused"} · `
      + `Last run: ${last} · ${runs} run${runs === 1 ? "" : "s"}` }),
    el("div", { class: "actions" },
      a.enabled
        ? button(item, "pause", "Pause", "Pause schedule", () => patch(item.id, { enabled: false }, "Pause"))
        : button(item, "resume", "Resume", "Resume schedule", () => patch(item.id, { enabled: true }, "Resume")),
      button(item, "run", "Run now", "Run now schedule", () => patch(item.id, { _run: true }, "Run"))));
  }

  async function refresh() {
    if (!page) return;
    try {
      const found = await page.call("GET", `${ROUTE}?sort=-created_at&page%5Bsize%5D=25`);
      const list = $("schedule-list");
      page.keepFocus(list, () => list.replaceChildren(...found.data.map(card)));
      $("schedule-state").textContent = found.data.length ? "" : "No schedules yet.";
    } catch (error) {
      if (page) page.say(`Could not list schedules: ${error.message}`);
    }
  }

  async function patch(id, attributes, action) {
    try {
      const changed = await page.call("PATCH", `${ROUTE}/${encodeURIComponent(id)}`,
        { data: { type: "cleanup_schedules", id, attributes } });
      const a = changed.data.attributes;
      const ran = attributes._run ? `, ran: ${(a.last_run_outcome || "").replace(/_/g, " ")}` : "";
      page.say(`Schedule ${id} ${a.enabled ? "enabled" : "paused"}${ran}.`);
      await refresh();
    } catch (error) {
      page.say(`${action} failed: ${error.message}`);
    }
  }

  function attributesOf() {
    const text = $("schedule-filters").value.trim() || "{}";
    const filters = JSON.parse(text);
    if (typeof filters !== "object" || filters === null || Array.isArray(filters)) {
      throw new Error("the filters must be a JSON object");
    }
    const attributes = { name: $("schedule-name").value.trim(), resource_type: $("schedule-type").value,
      filters, cron: $("schedule-cron").value.trim() };
    const most = $("schedule-max").value.trim();
    if (most) attributes.max_records_per_run = Number(most);
    return attributes;
  }

  function at(value, now) {
    // The moment `value` names at `now` (years and months on the calendar, the day kept within the month,
    // as the service's relativedelta does), or `value` itself when it is not relative.
    const match = typeof value === "string" ? RELATIVE.exec(value.trim()) : null;
    if (!match) return value;
    const [years, months, weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part || 0));
    const moment = new Date(now.getTime());
    const day = moment.getUTCDate();
    moment.setUTCDate(1);
    moment.setUTCMonth(moment.getUTCMonth() - (12 * years + months));
    const monthDays = new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth() + 1, 0)).getUTCDate();
    moment.setUTCDate(Math.min(day, monthDays));
    moment.setTime(moment.getTime() - ((((7 * weeks + days) * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000);
    return moment.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function resolved(filters, now) {
    return Object.fromEntries(Object.entries(filters).map(([key, value]) => [key, !ORDER_KEY.test(key) ? value
      : Array.isArray(value) ? value.map((item) => at(item, now)) : at(value, now)]));
  }

  function changed() {
    previewed = null;
    $("schedule-create").disabled = true;
    $("schedule-preview").replaceChildren();
  }

  async function preview(event) {
    event.preventDefault();
    changed();
    let attributes;
    try {
      attributes = attributesOf();
    } catch (error) {
      page.say(`Schedule filters: ${error.message}`);
      return;
    }
    const now = new Date();
    $("schedule-preview-button").disabled = true;
    try {
      const asked = await page.call("POST", "/api/cleanup_previews", { data: { type: "cleanup_previews",
        attributes: { resource_type: attributes.resource_type, filters: resolved(attributes.filters, now) } } });
      const found = await page.waitForPreview(asked.data, $("schedule-preview"), "schedule-preview-progress");
      const records = Number(found.records_count).toLocaleString("en");
      $("schedule-preview").replaceChildren(page.element("p", { id: "schedule-preview-records",
        "data-records": String(found.records_count),
        text: `A run now would select ${records} record${found.records_count === 1 ? "" : "s"} `
          + `(relative dates resolved to ${when(now.toISOString())}).` }));
      previewed = attributes;
      $("schedule-create").disabled = false;
    } catch (error) {
      page.say(`Preview failed: ${error.message}`);
    } finally {
      $("schedule-preview-button").disabled = false;
    }
  }

  async function create() {
    if (!previewed) return;
    const attributes = previewed;
    $("schedule-create").disabled = true;
    try {
      const created = await page.call("POST", ROUTE, { data: { type: "cleanup_schedules", attributes } });
      page.say(`Schedule ${created.data.id} created: next run ${when(created.data.attributes.next_run_at)}.`);
      $("schedule-name").value = "";
      changed();
      await refresh();
    } catch (error) {
      page.say(`Create schedule failed: ${error.message}`);
      $("schedule-create").disabled = false;
    }
  }

  document.addEventListener("cleanups:login", (event) => {
    page = event.detail;
    // The same types the cleanup form offers (app.js read them from the OpenAPI document before login ends).
    const select = $("schedule-type");
    select.replaceChildren(...Array.from($("resource-type").options, (option) => option.cloneNode(true)));
    select.value = $("resource-type").value;
    refresh();
    timer = setInterval(refresh, POLL_MS);
  });

  document.addEventListener("cleanups:logout", () => {
    page = null;
    clearInterval(timer);
    timer = null;
    $("schedule-list").replaceChildren();
    changed();
  });

  document.addEventListener("DOMContentLoaded", () => {
    $("schedule-form").addEventListener("submit", preview);
    $("schedule-form").addEventListener("input", changed);
    $("schedule-create").addEventListener("click", create);
  });
})();
