// The dashboard's schedules panel: the tenant's schedules with their next and last runs, pause, resume and
// run-now buttons, and a small create form. It calls the API only through the `call` app.js hands over
// on login ("cleanups:login"), so the token stays in app.js's closure; it stops on "cleanups:logout".
(() => {
  "use strict";

  const POLL_MS = 5000;
  const ROUTE = "/api/cleanup_schedules";
  const $ = (id) => document.getElementById(id);

  let page = null; // { call, element, say, keepFocus } from app.js while logged in
  let timer = null;

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

  async function create(event) {
    event.preventDefault();
    let attributes;
    try {
      attributes = attributesOf();
    } catch (error) {
      page.say(`Schedule filters: ${error.message}`);
      return;
    }
    $("schedule-create").disabled = true;
    try {
      const created = await page.call("POST", ROUTE, { data: { type: "cleanup_schedules", attributes } });
      page.say(`Schedule ${created.data.id} created: next run ${when(created.data.attributes.next_run_at)}.`);
      $("schedule-name").value = "";
      await refresh();
    } catch (error) {
      page.say(`Create schedule failed: ${error.message}`);
    } finally {
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
  });

  document.addEventListener("DOMContentLoaded", () => {
    $("schedule-form").addEventListener("submit", create);
  });
})();
