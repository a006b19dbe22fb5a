// Dateline wire desk: a client of the JSON API and nothing else (no framework, no build step).
// Every request carries the editor token pasted once into this tab (sessionStorage). Item text
// is always written with textContent or rebuilt element by element from an allowlist: the
// server already sanitises body_html, and this page does it again before showing it.
//
// Live updates come from GET /v1/stream (Server-Sent Events) read through the Fetch API, since
// an EventSource cannot send the Authorization header; the list is loaded once the stream is
// open, so nothing that changes in between is missed.

import { SseParser, pump } from "./sse.js";

const TOKEN_KEY = "dateline.desk.token";
const UTC_KEY = "dateline.desk.utc"; // "1": show times in UTC (localStorage: kept across visits)
const SORT_KEY = "dateline.desk.sort";
const FILTERS = ["q", "partner", "language", "subject", "pubstatus"];
const STREAM_FILTERS = ["partner", "language", "include_duplicates"]; // what the stream applies
const CHECKED_FILTERS = ["q", "subject", "pubstatus"]; // the list API checks live items for these
const CONFIRM_PAGES = 5; // a burst whose check needs more pages than this reloads the list
const CONFIRM_LIMIT = "200";
const FLUSH_MS = 100; // events arriving together are drawn together
const RETRY_MS = 1000; // first reconnect delay, unless the server's retry field says otherwise
const RETRY_MAX_MS = 30000;
const QUIET_MS = 60000; // no event nor heartbeat for this long: the connection is taken as dead
const SCROLL_SETTLE_MS = 400;
const HOUR_MS = 3600 * 1000;
const RECENT_SHOWN = 5;

const $ = (id) => document.getElementById(id);

const state = {
  items: [], // shown items, newest first in the chosen order
  rows: new Map(), // item id -> its <li>
  rowJson: new Map(), // item id -> the JSON its <li> was drawn from
  fresh: new Map(), // item id -> "new" | "updated": arrived live and not yet seen
  inView: new Set(), // fresh rows now on screen
  filters: new URLSearchParams(),
  next: null,
  loading: false, // the first page is on its way: live items wait in `incoming`
  incoming: new Map(), // item id -> the latest item the stream sent, not yet drawn
  flushTimer: null,
  checks: Promise.resolve(), // checks of live items against filters the stream cannot apply
  drawnAt: 0,
  listGeneration: 0, // bumped by every new search: answers to older ones are dropped
  itemGeneration: 0,
  openId: null,
  memoryToken: null, // used when sessionStorage is unavailable
  utc: false,
};

const live = {
  controller: null, // AbortController of the open stream
  generation: 0, // bumped by every connection: events of older ones are dropped
  lastEventId: "", // where a reconnection resumes
  retryMs: RETRY_MS,
  failures: 0,
  timer: null, // the pending reconnection
  watchdog: null,
};

// ---------------------------------------------------------------------------------------------
// API access: the only place that talks to the network

class ApiProblem extends Error {
  constructor(status, title, detail, errors) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(errors) ? errors : [];
  }
}

async function request(path, { headers = {}, signal } = {}) {
  if (!path.startsWith("/v1/")) {
    throw new ApiProblem(0, "Refused", `not an API path: ${path}`);
  }
  const token = readToken();
  if (!token) throw new ApiProblem(401, "Token needed", "paste an editor token to read the wire");
  try {
    return await fetch(path, {
      headers: { ...headers, Authorization: `Bearer ${token}` },
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      signal,
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiProblem(0, "Network error", `the API could not be reached (${error.message})`);
  }
}

async function api(path) {
  const response = await request(path, { headers: { Accept: "application/json" } });
  const body = await readJson(response);
  if (!response.ok) throw problemOf(response, body);
  if (body === null || typeof body !== "object") {
    throw new ApiProblem(response.status, "Unexpected answer", "the API did not answer with JSON");
  }
  return body;
}

async function readJson(response) {
  const type = response.headers.get("content-type") || "";
  if (!type.includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function problemOf(response, body) {
  const problem = body && typeof body === "object" ? body : {};
  const title = typeof problem.title === "string" ? problem.title : `HTTP ${response.status}`;
  const detail =
    typeof problem.detail === "string" ? problem.detail : response.statusText || "request failed";
  const out = new ApiProblem(response.status, title, detail, problem.errors);
  out.retryAfter = Number(response.headers.get("retry-after")) || 0;
  return out;
}

const itemPath = (id) => `/v1/items/${encodeURIComponent(id)}`;
const versionsPath = (id) => `/v1/items/${encodeURIComponent(id)}/versions`;
const duplicatesPath = (id) => `/v1/items/${encodeURIComponent(id)}/duplicates`;
const listPath = (params) => (String(params) ? `/v1/items?${params}` : "/v1/items");
const streamPath = (params) => (String(params) ? `/v1/stream?${params}` : "/v1/stream");
const isListPage = (url) => typeof url === "string" && url.startsWith("/v1/items?");

// ---------------------------------------------------------------------------------------------
// Token

function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || state.memoryToken;
  } catch {
    return state.memoryToken;
  }
}

function storeToken(token) {
  state.memoryToken = token;
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // private modes may refuse storage: the token then lives until the page is closed
  }
}

function forgetToken() {
  state.memoryToken = null;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
}

function onTokenSubmit(event) {
  event.preventDefault();
  const input = $("token");
  const token = input.value.trim();
  input.value = "";
  if (!/^[\x21-\x7e]+$/.test(token)) {
    showProblem(new ApiProblem(0, "Unusable token", "a token is one word of printable ASCII"));
    return;
  }
  storeToken(token);
  clearProblem();
  openDesk();
}

function signOut() {
  forgetToken();
  stopStream();
  live.lastEventId = "";
  resetList();
  closeItem();
  showLogin();
}

// Stored preferences (localStorage): kept across visits, harmless if refused.
function preference(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function setPreference(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not kept: the choice holds until the page is closed
  }
}

// ---------------------------------------------------------------------------------------------
// Screens and problems

function showLogin() {
  $("desk").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("live-status").textContent = "";
  $("token").focus();
}

function openDesk() {
  $("login").hidden = true;
  $("desk").hidden = false;
  $("sign-out").hidden = false;
  state.filters = filtersFromForm();
  reload();
  route();
}

function showProblem(problem) {
  problem = asProblem(problem);
  const box = $("problem");
  box.replaceChildren(problemNodes(problem));
  box.dataset.status = String(problem.status);
  box.hidden = false;
}

function clearProblem() {
  $("problem").hidden = true;
  $("problem").replaceChildren();
  delete $("problem").dataset.status;
}

// What went wrong, said to an editor: a plain sentence, and for a refused search the fields
// named. The server's own wording (written for developers) is not shown for credentials.
function plainSentence(problem) {
  switch (problem.status) {
    case 401:
      return (
        "That token was not accepted: it may be mistyped, or it has been revoked. " +
        "Paste a current editor token to open the wire."
      );
    case 403:
      return "That token cannot read the wire. Paste an editor or admin token.";
    case 0:
      if (problem.title === "Network error") {
        return "The wire desk cannot reach the server. Check the connection; it keeps trying.";
      }
      if (problem.title === "Unusable token") {
        return (
          "That is not a token: a token is one word of letters, digits and punctuation. " +
          "Paste it again."
        );
      }
      return "Something went wrong in the desk page. Reloading the page usually helps.";
    case 404:
      return "That item is not on the wire (it may have been removed, or the link is wrong).";
    case 422:
      return "The search could not be run as written. Check the filters below and try again.";
    case 429:
      return "The server is busy with this token's other windows. The desk will try again shortly.";
    default:
      return `The server could not answer just now (status ${problem.status}). Try again soon.`;
  }
}

function problemNodes(problem) {
  const fragment = document.createDocumentFragment();
  fragment.append(element("p", { class: "sentence" }, plainSentence(problem)));
  if (problem.status === 422 && problem.errors.length) {
    const list = element("ul");
    for (const entry of problem.errors.filter((e) => e && typeof e === "object")) {
      const where = entry.field ?? entry.index ?? entry.line;
      const text = where === undefined ? entry.message : `${where}: ${entry.message}`;
      list.append(element("li", {}, String(text).replaceAll("`", "")));
    }
    fragment.append(list);
  }
  return fragment;
}

// Anything thrown, as a problem the page can word (a bug in the page is logged for developers).
function asProblem(problem) {
  if (problem instanceof ApiProblem) return problem;
  console.error(problem);
  return new ApiProblem(0, "Unexpected error", String(problem && problem.message));
}

function fail(problem) {
  problem = asProblem(problem);
  if (problem.status === 401 || problem.status === 403) {
    signOut();
  }
  showProblem(problem);
}

// ---------------------------------------------------------------------------------------------
// Times: in the browser's zone with the zone's name, or in UTC (the toggle, remembered)

const DAY_FIELDS = { day: "numeric", month: "short", year: "numeric" };
const TIME_FIELDS = { hour: "2-digit", minute: "2-digit" };
const FORMATS = {
  local: {
    day: new Intl.DateTimeFormat(undefined, DAY_FIELDS),
    time: new Intl.DateTimeFormat(undefined, TIME_FIELDS),
    zone: new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }),
  },
  utc: {
    day: new Intl.DateTimeFormat(undefined, { ...DAY_FIELDS, timeZone: "UTC" }),
    time: new Intl.DateTimeFormat(undefined, { ...TIME_FIELDS, timeZone: "UTC" }),
  },
};

// The zone's short name at that instant ("CET", "CEST", "EST"), or its offset ("+05:30") where
// the browser's language has no name for it but "GMT+5:30".
function zoneLabel(date) {
  if (state.utc) return "UTC";
  const part = FORMATS.local.zone.formatToParts(date).find((p) => p.type === "timeZoneName");
  const name = part ? part.value : "";
  if (name && !/^(GMT|UTC)[+\-−]/.test(name)) return name;
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0");
  return `${sign}${hours}:${String(Math.abs(minutes) % 60).padStart(2, "0")}`;
}

// "13:21 CET" for today, "7 Jan 2022, 12:00 CET" for another day (in the zone shown).
function formatTime(date) {
  const formats = state.utc ? FORMATS.utc : FORMATS.local;
  const time = `${formats.time.format(date)} ${zoneLabel(date)}`;
  const day = formats.day.format(date);
  return day === formats.day.format(new Date()) ? time : `${day}, ${time}`;
}

function timeElement(value) {
  const node = document.createElement("time");
  if (!value) {
    node.textContent = "–";
    return node;
  }
  node.dateTime = value;
  node.title = `${value} (UTC)`;
  drawTime(node);
  return node;
}

function drawTime(node) {
  const date = new Date(node.dateTime);
  node.textContent = Number.isNaN(date.getTime()) ? node.dateTime : formatTime(date);
}

function drawZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  const now = new Date();
  $("zone-label").textContent = state.utc
    ? "Times in UTC"
    : `Times in ${zoneLabel(now)}${zone && zone !== zoneLabel(now) ? ` (${zone})` : ""}`;
  $("utc-toggle").checked = state.utc;
}

function onUtcToggle() {
  state.utc = $("utc-toggle").checked;
  setPreference(UTC_KEY, state.utc ? "1" : "0");
  drawZone();
  for (const node of document.querySelectorAll("time[datetime]")) drawTime(node);
}

// ---------------------------------------------------------------------------------------------
// The list

function filtersFromForm() {
  const form = $("filters");
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = form.elements.namedItem(name).value.trim();
    if (value) params.set(name, value);
  }
  if (form.elements.namedItem("include_duplicates").checked) {
    params.set("include_duplicates", "true");
  }
  if (sortOrder() === "received") params.set("sort", "received");
  return params;
}

function sortOrder() {
  return $("f-sort").value === "received" ? "received" : "versioncreated";
}

function applyFilters(event) {
  if (event) event.preventDefault();
  setPreference(SORT_KEY, sortOrder());
  state.filters = filtersFromForm();
  reload();
}

function resetList() {
  state.listGeneration += 1;
  state.items = [];
  state.rows.clear();
  state.rowJson.clear();
  state.fresh.clear();
  state.inView.clear();
  state.incoming.clear();
  state.loading = false;
  rowWatcher.disconnect();
  state.next = null;
  $("wire").replaceChildren();
  $("more").hidden = true;
  $("list-status").textContent = "";
  drawSeenButton();
}

// The stream first, then the list: the stream starts at the newest change when it opens, so
// whatever changes while the list loads arrives on it (and is merged by id).
async function reload() {
  stopStream();
  resetList();
  const generation = state.listGeneration;
  state.loading = true;
  $("list-status").textContent = "Loading…";
  if (liveOn()) {
    live.lastEventId = ""; // a fresh list needs no catching up
    await openStream({ initial: true });
    if (generation !== state.listGeneration) return;
  } else {
    $("live-status").textContent = "Live updates off";
  }
  try {
    const page = await api(listPath(state.filters));
    if (generation !== state.listGeneration) return;
    clearProblem();
    merge(pageItems(page));
    state.next = isListPage(page.next) ? page.next : null;
    renderList();
    $("list-status").textContent = state.items.length ? "" : "No items match.";
  } catch (problem) {
    if (generation !== state.listGeneration) return;
    $("list-status").textContent = "The wire could not be loaded.";
    fail(problem);
  } finally {
    if (generation === state.listGeneration) {
      state.loading = false;
      scheduleFlush(); // what the stream sent meanwhile
    }
  }
}

async function loadMore() {
  const more = $("more");
  if (!isListPage(state.next)) return;
  const generation = state.listGeneration;
  more.disabled = true;
  try {
    const page = await api(state.next);
    if (generation !== state.listGeneration) return;
    const before = state.items.length;
    merge(pageItems(page));
    state.next = isListPage(page.next) ? page.next : null;
    renderList();
    $("list-status").textContent = `${state.items.length - before} more items loaded.`;
  } catch (problem) {
    fail(problem);
  } finally {
    more.disabled = false;
  }
}

function pageItems(page) {
  return Array.isArray(page.items) ? page.items.filter((i) => i && typeof i.id === "string") : [];
}

// Adds or replaces items by id, keeps the list's order, and returns the ids that are new or
// changed.
function merge(incoming) {
  const byId = new Map(state.items.map((item) => [item.id, item]));
  const changed = [];
  for (const item of incoming) {
    const known = byId.get(item.id);
    if (!known || JSON.stringify(known) !== JSON.stringify(item)) changed.push(item.id);
    byId.set(item.id, item);
  }
  state.items = [...byId.values()].sort(newestFirst);
  return changed;
}

function newestFirst(a, b) {
  const field = state.filters.get("sort") === "received" ? "received_at" : "versioncreated";
  const delta = (Date.parse(b[field]) || 0) - (Date.parse(a[field]) || 0);
  if (delta) return delta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function renderList() {
  const list = $("wire");
  const focused = document.activeElement && document.activeElement.closest("#wire li");
  const focusedId = focused ? focused.dataset.id : null;
  const rows = state.items.map((item) => {
    const row = rowFor(item);
    markFresh(row, state.fresh.get(item.id));
    return row;
  });
  const shown = new Set(state.items.map((item) => item.id));
  for (const [id, row] of state.rows) {
    if (shown.has(id)) continue;
    rowWatcher.unobserve(row);
    state.rows.delete(id);
    state.rowJson.delete(id);
  }
  state.drawnAt = performance.now();
  list.replaceChildren(...rows);
  if (focusedId && state.rows.has(focusedId)) state.rows.get(focusedId).querySelector("a").focus();
  $("more").hidden = !state.next;
  markOpen();
  drawSeenButton();
  drawOverview();
}

function rowFor(item) {
  const json = JSON.stringify(item);
  const old = state.rows.get(item.id);
  if (old && state.rowJson.get(item.id) === json) return old;
  const link = element("a", { href: `#/items/${encodeURIComponent(item.id)}`, class: "headline" });
  link.textContent = item.headline || item.slugline || "(no headline)";
  const facts = element("p", { class: "facts" });
  facts.append(element("span", { class: "partner" }, item.partner || ""));
  const place = datelinePlace(item.dateline);
  if (place) facts.append(" · ", element("span", { class: "dateline" }, place));
  facts.append(" · ", ...rowTimes(item));
  if (item.language) facts.append(" · ", element("span", { class: "language" }, item.language));
  const row = element("li", { class: "row" }, link, facts, badges(item));
  row.dataset.id = item.id;
  state.rowJson.set(item.id, json);
  row.classList.toggle("killed", item.pubstatus === "canceled");
  row.classList.toggle("duplicate", Boolean(item.duplicate_of));
  if (old) rowWatcher.unobserve(old);
  state.rows.set(item.id, row);
  return row;
}

// The item's own time; in the received order, when it arrived first (and its own time only
// when that differs, as for a late resend).
function rowTimes(item) {
  const stamp = element("span", { class: "stamp" }, timeElement(item.versioncreated));
  if (state.filters.get("sort") !== "received" || !item.received_at) return [stamp];
  const received = element(
    "span",
    { class: "received" },
    "received ",
    timeElement(item.received_at),
  );
  const apart = Math.abs(Date.parse(item.received_at) - Date.parse(item.versioncreated));
  if (!(apart >= 60 * 1000)) return [received];
  stamp.prepend("dated ");
  return [received, " · ", stamp];
}

function badges(item) {
  const out = element("span", { class: "badges" });
  const add = (kind, text) => out.append(element("span", { class: `badge badge-${kind}` }, text));
  if (item.duplicate_of) add("duplicate", "duplicate");
  if (item.pubstatus === "canceled") add("killed", "killed");
  if (item.pubstatus === "withheld") add("withheld", "withheld");
  if (item.embargoed && Date.parse(item.embargoed) > Date.now()) add("embargoed", "embargoed");
  if (item.versions > 1) add("versions", `${item.versions} versions`);
  return out;
}

function datelinePlace(dateline) {
  if (!dateline || typeof dateline !== "object") return "";
  return dateline.located || dateline.text || "";
}

function onListKey(event) {
  const links = [...$("wire").querySelectorAll("a.headline")];
  const index = links.indexOf(document.activeElement);
  if (index < 0 || !links.length) return;
  const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: links.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  links[Math.max(0, Math.min(links.length - 1, moves[event.key]))].focus();
}

// ---------------------------------------------------------------------------------------------
// New arrivals: an item the stream brings is marked "new" (or "updated", when it was listed
// already) until the editor opens it, moves to it with the keyboard, scrolls while it is on
// screen, or marks everything seen.

const rowWatcher = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const id = entry.target.dataset.id;
    if (entry.isIntersecting) state.inView.add(id);
    else state.inView.delete(id);
  }
});

function markFresh(row, kind) {
  row.classList.toggle("fresh", Boolean(kind));
  const old = row.querySelector(".badge-new, .badge-updated");
  if (old && (!kind || !old.classList.contains(`badge-${kind}`))) old.remove();
  if (kind && !row.querySelector(`.badge-${kind}`)) {
    row.querySelector(".badges").prepend(element("span", { class: `badge badge-${kind}` }, kind));
  }
  if (kind) rowWatcher.observe(row);
  else rowWatcher.unobserve(row);
}

function seen(ids) {
  let any = false;
  for (const id of ids) {
    if (!state.fresh.delete(id)) continue;
    any = true;
    state.inView.delete(id);
    const row = state.rows.get(id);
    if (row) markFresh(row, undefined);
  }
  if (any) drawSeenButton();
}

function drawSeenButton() {
  const count = [...state.fresh.values()].filter((kind) => kind === "new").length;
  const button = $("mark-seen");
  button.hidden = state.fresh.size === 0;
  button.textContent = count ? `${count} new: mark all seen` : "Mark all seen";
}

let scrollTimer = null;
function onScroll() {
  // Inserting rows can scroll the page by itself (scroll anchoring): only a scroll that comes
  // well after the list was drawn is the editor's.
  if (performance.now() - state.drawnAt < SCROLL_SETTLE_MS) return;
  clearTimeout(scrollTimer);
  scrollTimer = setTimeout(() => {
    if (!document.hidden) seen([...state.inView]);
  }, SCROLL_SETTLE_MS);
}

function onListFocus(event) {
  const row = event.target.closest("#wire li");
  if (row) seen([row.dataset.id]);
}

// ---------------------------------------------------------------------------------------------
// Live updates: GET /v1/stream read through the Fetch API, resumed with Last-Event-ID after a break

function liveOn() {
  return $("filters").elements.namedItem("live").checked;
}

function streamParams() {
  const params = new URLSearchParams();
  for (const name of STREAM_FILTERS) {
    if (state.filters.has(name)) params.set(name, state.filters.get(name));
  }
  return params;
}

// Opens the stream; resolves once it is open, or has failed (a reconnection is then planned).
// A reconnection resumes after the last event received; with none to resume from, the stream
// starts at the newest change, so the top of the list is read again for what came meanwhile.
async function openStream({ initial = false } = {}) {
  stopStream();
  const generation = ++live.generation;
  const controller = new AbortController();
  live.controller = controller;
  const headers = { Accept: "text/event-stream" };
  const resumed = Boolean(live.lastEventId);
  if (resumed) headers["Last-Event-ID"] = live.lastEventId;
  let response;
  try {
    response = await request(streamPath(streamParams()), { headers, signal: controller.signal });
    if (!response.ok) throw problemOf(response, await readJson(response));
  } catch (problem) {
    if (generation === live.generation) streamBroken(problem);
    return;
  }
  if (generation !== live.generation) return;
  $("live-status").textContent = "Live";
  if ($("problem").dataset.status === "0") clearProblem(); // the server is back
  watch(generation);
  if (!initial && !resumed) refreshTop();
  const parser = new SseParser({
    onEvent: (type, data, id) => onStreamEvent(generation, type, data, id),
    onComment: () => heard(generation),
    onRetry: (ms) => {
      live.retryMs = Math.min(Math.max(ms, RETRY_MS), RETRY_MAX_MS);
    },
  });
  pump(response.body, parser).then(
    () => generation === live.generation && streamBroken(null),
    (error) => generation === live.generation && streamBroken(error),
  );
}

function stopStream() {
  live.generation += 1;
  clearTimeout(live.timer);
  clearTimeout(live.watchdog);
  live.timer = live.watchdog = null;
  if (live.controller) live.controller.abort();
  live.controller = null;
}

// Something arrived: the connection works (the next break starts the pauses afresh).
function heard(generation) {
  if (generation !== live.generation) return;
  live.failures = 0;
  watch(generation);
}

// A connection silent for longer than a few heartbeats is taken as dead and replaced.
function watch(generation) {
  clearTimeout(live.watchdog);
  live.watchdog = setTimeout(() => generation === live.generation && streamBroken(null), QUIET_MS);
}

// The stream ended or could not be opened: a token problem ends the session; anything else is
// retried, resuming after the last event received, with a growing pause.
function streamBroken(problem) {
  stopStream();
  if (!readToken() || !liveOn() || $("desk").hidden) return;
  if (problem instanceof ApiProblem && (problem.status === 401 || problem.status === 403)) {
    fail(problem);
    return;
  }
  if (problem instanceof ApiProblem && problem.status === 422) live.lastEventId = "";
  live.failures += 1;
  const backoff = Math.min(RETRY_MAX_MS, live.retryMs * 2 ** Math.min(live.failures - 1, 5));
  const wait = Math.max(backoff * (0.75 + Math.random() / 2), (problem?.retryAfter || 0) * 1000);
  $("live-status").textContent =
    `Live updates interrupted; reconnecting in ${Math.ceil(wait / 1000)} s`;
  live.timer = setTimeout(openStream, wait);
}

// The first page again, merged as live arrivals (after a reconnection that could not resume).
async function refreshTop() {
  const generation = state.listGeneration;
  try {
    const page = await api(listPath(state.filters));
    if (generation === state.listGeneration && !state.loading) arrived(pageItems(page), []);
  } catch (problem) {
    if (generation === state.listGeneration) fail(problem);
  }
}

function onStreamEvent(generation, type, data, id) {
  if (generation !== live.generation) return;
  heard(generation);
  live.lastEventId = id;
  if (type !== "item") return;
  let item;
  try {
    item = JSON.parse(data);
  } catch {
    return;
  }
  if (!item || typeof item.id !== "string") return;
  state.incoming.set(item.id, item);
  scheduleFlush();
}

function scheduleFlush() {
  if (state.flushTimer === null && state.incoming.size && !state.loading) {
    state.flushTimer = setTimeout(flush, FLUSH_MS);
  }
}

// Draws what the stream sent. Filters the stream applies itself need nothing more; for the
// others (full text, subject, status) the list API says which of the items still belong.
function flush() {
  state.flushTimer = null;
  if (state.loading) return;
  const batch = [...state.incoming.values()];
  state.incoming.clear();
  const generation = state.listGeneration;
  if (!CHECKED_FILTERS.some((name) => state.filters.has(name))) {
    arrived(batch, []);
    return;
  }
  state.checks = state.checks
    .then(() => (generation === state.listGeneration ? check(batch, generation) : null))
    .catch((problem) => {
      if (generation === state.listGeneration) fail(problem);
    });
}

async function check(batch, generation) {
  const params = new URLSearchParams(state.filters);
  const earliest = batch.reduce((low, item) =>
    Date.parse(item.versioncreated) < Date.parse(low.versioncreated) ? item : low,
  );
  params.set("since", earliest.versioncreated);
  params.set("limit", CONFIRM_LIMIT);
  const found = new Map();
  let url = listPath(params);
  for (let pages = 0; url; pages += 1) {
    if (pages === CONFIRM_PAGES) return reload(); // too much at once: start again from the top
    const page = await api(url);
    if (generation !== state.listGeneration) return;
    for (const item of pageItems(page)) found.set(item.id, item);
    url = isListPage(page.next) ? page.next : null;
  }
  const wanted = batch.filter((item) => found.has(item.id)).map((item) => found.get(item.id));
  arrived(
    wanted,
    batch.filter((item) => !found.has(item.id)).map((item) => item.id),
  );
}

// Items that arrived live (drawn, marked) and ids that no longer match the filters (dropped).
function arrived(items, gone) {
  const listed = new Set(state.items.map((item) => item.id));
  if (gone.length) {
    const drop = new Set(gone);
    state.items = state.items.filter((item) => !drop.has(item.id));
    for (const id of gone) {
      state.fresh.delete(id);
      state.inView.delete(id);
    }
  }
  const changed = merge(items);
  for (const id of changed) {
    if (id === state.openId) continue;
    if (!listed.has(id)) state.fresh.set(id, "new");
    else if (!state.fresh.has(id)) state.fresh.set(id, "updated");
  }
  if (!changed.length && !gone.length) return;
  renderList();
  announce(
    changed.filter((id) => !listed.has(id)).length,
    changed.filter((id) => listed.has(id)).length,
  );
  if (state.items.length) $("list-status").textContent = "";
  if ([...changed, ...gone].includes(state.openId)) openItem(state.openId, { quiet: true });
}

function announce(added, updated) {
  // A polite live region: say something only when something arrived.
  const what = [];
  if (added) what.push(added === 1 ? "1 new item" : `${added} new items`);
  if (updated) what.push(updated === 1 ? "1 update" : `${updated} updates`);
  if (what.length)
    $("live-status").textContent = `Live: ${what.join(", ")} at ${formatTime(new Date())}`;
}

function onLiveToggle() {
  if (liveOn()) {
    reload(); // the list again, then live from there: nothing missed while off
  } else {
    stopStream();
    $("live-status").textContent = "Live updates off";
  }
}

// ---------------------------------------------------------------------------------------------
// The overview: what the right half shows when no item is open, from the items loaded

function drawOverview() {
  const now = Date.now();
  const hourAgo = now - HOUR_MS;
  const arrivedAt = (item) => Date.parse(item.received_at) || 0;
  const lastHour = state.items.filter((item) => arrivedAt(item) >= hourAgo);
  lastHour.sort((a, b) => arrivedAt(b) - arrivedAt(a));
  // Exact when every item is loaded, or when the received order reaches past the hour.
  const complete =
    !state.next ||
    (state.filters.get("sort") === "received" &&
      state.items.some((item) => arrivedAt(item) < hourAgo));
  const count = complete ? String(lastHour.length) : `At least ${lastHour.length}`;
  const noun = lastHour.length === 1 ? "item" : "items";
  $("overview-hour").replaceChildren(
    `${count} ${noun} arrived in the last hour (since `,
    timeElement(new Date(hourAgo).toISOString()),
    complete ? ")." : "); the list has not loaded them all.",
  );
  $("overview-recent").replaceChildren(
    ...lastHour.slice(0, RECENT_SHOWN).map((item) => {
      const li = element("li", {}, timeElement(item.received_at), " ");
      li.append(itemLink(item.id, item.headline || item.slugline || "(no headline)"));
      li.append(` · ${item.partner || ""}`);
      return li;
    }),
  );
  const partners = new Map();
  for (const item of state.items) {
    const entry = partners.get(item.partner) || { items: 0, hour: 0, latest: null };
    entry.items += 1;
    if (arrivedAt(item) >= hourAgo) entry.hour += 1;
    if (!entry.latest || arrivedAt(item) > arrivedAt(entry.latest)) entry.latest = item;
    partners.set(item.partner, entry);
  }
  const rows = [...partners].sort((a, b) => b[1].items - a[1].items || (a[0] < b[0] ? -1 : 1));
  $("overview-rows").replaceChildren(
    ...rows.map(([partner, entry]) =>
      element(
        "tr",
        {},
        element("th", { scope: "row" }, partner || "–"),
        element("td", {}, String(entry.items)),
        element("td", {}, String(entry.hour)),
        element("td", {}, timeElement(entry.latest.received_at)),
      ),
    ),
  );
  $("overview-partners").hidden = rows.length === 0;
  const loaded = state.items.length === 1 ? "the 1 item" : `the ${state.items.length} items`;
  $("overview-scope").textContent = !state.items.length
    ? "No items are listed."
    : `Counted over ${loaded} the list has loaded${state.next ? " (more are on the wire)" : ""}.`;
}

// ---------------------------------------------------------------------------------------------
// The item view (#/items/<id>)

function route() {
  const match = /^#\/items\/([^/]+)$/.exec(location.hash);
  if (match && readToken()) {
    openItem(decodeURIComponent(match[1]));
  } else {
    closeItem();
  }
}

function closeItem() {
  state.itemGeneration += 1;
  state.openId = null;
  $("item").hidden = true;
  $("overview").hidden = false;
  markOpen();
}

function onCloseItem() {
  const id = state.openId;
  if (location.hash) history.pushState(null, "", location.pathname + location.search);
  closeItem();
  const row = id && state.rows.get(id);
  if (row) row.querySelector("a").focus();
}

function markOpen() {
  for (const [id, row] of state.rows) {
    const link = row.querySelector("a");
    if (id === state.openId) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
}

// Shows the item with its versions and copies. A quiet refresh (the stream brought a change to
// the open item) keeps what is shown until the new answers are in, and leaves focus alone.
async function openItem(id, { quiet = false } = {}) {
  const generation = ++state.itemGeneration;
  state.openId = id;
  seen([id]);
  markOpen();
  const title = $("item-title");
  $("overview").hidden = true;
  $("item").hidden = false;
  if (!quiet) {
    title.textContent = "Loading…";
    $("item-killed").hidden = true;
    $("item-updated").textContent = "";
    for (const part of [
      "item-badges",
      "item-body",
      "item-meta",
      "item-versions",
      "item-duplicates",
    ]) {
      $(part).replaceChildren();
    }
  }
  const [item, versions, duplicates] = await Promise.allSettled([
    api(itemPath(id)),
    api(versionsPath(id)),
    api(duplicatesPath(id)),
  ]);
  if (generation !== state.itemGeneration) return;
  if (item.status === "rejected") {
    title.textContent = "Item not available";
    $("item-body").replaceChildren(inlineProblem(item.reason));
    if (item.reason.status === 401 || item.reason.status === 403) fail(item.reason);
  } else {
    renderItem(item.value);
    renderVersions(versions);
    renderDuplicates(duplicates, item.value);
    if (quiet)
      $("item-updated").replaceChildren("Updated live at ", timeElement(new Date().toISOString()));
  }
  if (!quiet) title.focus();
}

function renderItem(item) {
  $("item-title").textContent = item.headline || item.slugline || "(no headline)";
  $("item-killed").hidden = item.pubstatus !== "canceled";
  $("item-badges").replaceChildren(badges(item));
  $("item-body").replaceChildren(bodyOf(item));
  $("item-meta").replaceChildren(...metadata(item));
}

function bodyOf(item) {
  if (item.body_html) return sanitised(item.body_html);
  if (item.body_text) {
    const fragment = document.createDocumentFragment();
    for (const para of String(item.body_text).split(/\n\s*\n/)) {
      if (para.trim()) fragment.append(element("p", {}, para.trim()));
    }
    return fragment;
  }
  return element("p", { class: "empty" }, "No body.");
}

function metadata(item) {
  const dateline = item.dateline || {};
  const rows = [
    ["Partner", item.partner],
    ["Source", item.source],
    ["Byline", item.byline],
    [
      "Dateline",
      dateline.text ||
        [dateline.located, dateline.date, dateline.source].filter(Boolean).join(", "),
    ],
    ["Slugline", item.slugline],
    ["Abstract", item.abstract],
    ["Editorial note", item.ednote],
    ["Subjects", list(item.subjects, subjectText)],
    ["Keywords", list(item.keywords, String)],
    ["Places", list(item.places, (p) => p.name || p.code)],
    ["Genre", item.genre],
    ["First created", item.firstcreated && timeElement(item.firstcreated)],
    ["Version created", item.versioncreated && timeElement(item.versioncreated)],
    ["Embargoed until", item.embargoed && timeElement(item.embargoed)],
    ["Received", item.received_at && timeElement(item.received_at)],
    ["Status", item.pubstatus],
    ["Version", item.version],
    ["Language", item.language],
    ["Urgency", item.urgency],
    ["Words", item.word_count],
    ["Format", item.format],
    ["Copyright", item.copyrightholder],
    ["Usage terms", item.usageterms],
    ["Duplicate of", item.duplicate_of && itemLink(item.duplicate_of, item.duplicate_of)],
    ["URI", item.uri && element("code", {}, item.uri)],
    ["Id", item.id && element("code", {}, item.id)],
  ];
  const out = [];
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    const dd = element("dd");
    dd.append(value instanceof Node ? value : String(value));
    out.push(element("dt", {}, label), dd);
  }
  return out;
}

function subjectText(subject) {
  const code = [subject.scheme, subject.code].filter(Boolean).join(":");
  if (subject.name && code) return `${subject.name} (${code})`;
  return subject.name || code;
}

function list(values, text) {
  if (!Array.isArray(values) || !values.length) return null;
  const ul = element("ul", { class: "inline" });
  for (const value of values) ul.append(element("li", {}, text(value) || ""));
  return ul;
}

function renderVersions(result) {
  const box = $("item-versions");
  if (result.status === "rejected") return box.replaceChildren(inlineProblem(result.reason));
  const versions = Array.isArray(result.value.versions) ? result.value.versions : [];
  if (!versions.length)
    return box.replaceChildren(element("p", { class: "empty" }, "No versions."));
  const ol = element("ol", { class: "versions" });
  for (const version of versions) {
    const summary = element("summary");
    summary.append(`Version ${version.version ?? "–"}`);
    if (version.current)
      summary.append(" ", element("span", { class: "badge badge-current" }, "current"));
    summary.append(" · ", timeElement(version.versioncreated), ` · ${version.pubstatus || ""}`);
    summary.append(" · ", version.headline || "(no headline)");
    const details = element(
      "details",
      {},
      summary,
      element("div", { class: "body" }, bodyOf(version)),
    );
    ol.append(element("li", {}, details));
  }
  box.replaceChildren(ol);
}

function renderDuplicates(result, item) {
  const box = $("item-duplicates");
  if (result.status === "rejected") return box.replaceChildren(inlineProblem(result.reason));
  const others = (Array.isArray(result.value.items) ? result.value.items : []).filter(
    (other) => other && other.id !== item.id,
  );
  if (!others.length)
    return box.replaceChildren(element("p", { class: "empty" }, "No duplicates."));
  const ul = element("ul", { class: "duplicates" });
  for (const other of others) {
    const li = element("li", {}, itemLink(other.id, other.headline || other.id));
    li.append(` · ${other.partner || ""} · `, timeElement(other.versioncreated));
    if (other.id === item.cluster) li.append(" ", element("span", { class: "badge" }, "original"));
    ul.append(li);
  }
  box.replaceChildren(ul);
}

function inlineProblem(problem) {
  return element("div", { class: "problem" }, problemNodes(asProblem(problem)));
}

function itemLink(id, text) {
  return element("a", { href: `#/items/${encodeURIComponent(id)}` }, text);
}

// ---------------------------------------------------------------------------------------------
// Building DOM safely

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// body_html is rebuilt from an inert DOMParser document, element by element: allowlisted tags
// and attributes are copied, unknown wrappers are unwrapped, active content is dropped whole.
const KEEP = new Set(
  (
    "p br hr h1 h2 h3 h4 h5 h6 ul ol li dl dt dd blockquote q cite pre code em strong b i u s " +
    "sub sup small mark abbr span div a table caption thead tbody tfoot tr th td figure figcaption"
  ).split(" "),
);
const DROP = new Set(
  (
    "script style template iframe frame frameset object embed noscript svg math form input " +
    "button textarea select option link meta base img picture video audio source track canvas"
  ).split(" "),
);
const ATTRIBUTES = {
  a: ["href", "title"],
  abbr: ["title"],
  ol: ["start"],
  td: ["colspan", "rowspan"],
  th: ["colspan", "rowspan", "scope"],
};
const MAX_DEPTH = 64;

function sanitised(html) {
  const parsed = new DOMParser().parseFromString(String(html), "text/html");
  const out = document.createDocumentFragment();
  copyChildren(parsed.body, out, 0);
  return out;
}

function copyChildren(from, to, depth) {
  if (depth > MAX_DEPTH) return;
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.append(document.createTextNode(node.data));
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      copyElement(node, to, depth);
    }
  }
}

function copyElement(node, to, depth) {
  const tag = node.localName;
  const html = node.namespaceURI === document.documentElement.namespaceURI;
  if (!html || DROP.has(tag)) {
    if (tag === "img" && node.getAttribute("alt"))
      to.append(`[image: ${node.getAttribute("alt")}]`);
    return;
  }
  if (!KEEP.has(tag)) return copyChildren(node, to, depth + 1);
  const copy = document.createElement(tag);
  for (const name of ATTRIBUTES[tag] || []) {
    const value = node.getAttribute(name);
    if (value !== null && attributeAllowed(name, value)) copy.setAttribute(name, value);
  }
  if (tag === "a" && copy.hasAttribute("href"))
    copy.setAttribute("rel", "noopener noreferrer nofollow");
  copyChildren(node, copy, depth + 1);
  to.append(copy);
}

function attributeAllowed(name, value) {
  if (name === "href") return safeLink(value);
  if (["start", "colspan", "rowspan"].includes(name)) return /^\d{1,4}$/.test(value);
  if (name === "scope") return /^(row|col|rowgroup|colgroup)$/.test(value);
  return true;
}

function safeLink(value) {
  try {
    return ["http:", "https:", "mailto:"].includes(new URL(value, location.href).protocol);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

function init() {
  state.utc = preference(UTC_KEY) === "1";
  if (preference(SORT_KEY) === "received") $("f-sort").value = "received";
  drawZone();
  $("token-form").addEventListener("submit", onTokenSubmit);
  $("sign-out").addEventListener("click", signOut);
  $("utc-toggle").addEventListener("change", onUtcToggle);
  $("filters").addEventListener("submit", applyFilters);
  $("filters").addEventListener("reset", () => setTimeout(applyFilters, 0));
  $("f-sort").addEventListener("change", applyFilters);
  $("f-live").addEventListener("change", onLiveToggle);
  $("more").addEventListener("click", loadMore);
  $("mark-seen").addEventListener("click", () => seen([...state.fresh.keys()]));
  $("item-close").addEventListener("click", onCloseItem);
  $("wire").addEventListener("keydown", onListKey);
  $("wire").addEventListener("focusin", onListFocus);
  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("hashchange", route);
  // The zone's name and "today" change with the clock; the last hour moves on.
  setInterval(() => {
    drawZone();
    if (!$("desk").hidden) drawOverview();
  }, 60 * 1000);
  if (readToken()) openDesk();
  else showLogin();
}

init();
