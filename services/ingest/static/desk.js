// Dateline wire desk: a client of the JSON API and nothing else (no framework, no build step).
// Every request carries the editor token pasted once into this tab (sessionStorage). Item text
// is always written with textContent or rebuilt element by element from an allowlist: the
// server already sanitises body_html, and this page does it again before showing it.

const TOKEN_KEY = "dateline.desk.token";
const POLL_MS = 5000;
const POLL_PAGES = 5; // more new items than this many pages in one poll: reload the list
const FILTERS = ["q", "partner", "language", "subject", "pubstatus"];
const LOCAL_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const $ = (id) => document.getElementById(id);

const state = {
  items: [], // shown items, newest first (versioncreated, then id), as the API orders them
  rows: new Map(), // item id -> its <li>
  rowJson: new Map(), // item id -> the JSON its <li> was drawn from
  filters: new URLSearchParams(),
  next: null,
  timer: null,
  polling: false,
  listGeneration: 0, // bumped by every new search: answers to older ones are dropped
  itemGeneration: 0,
  openId: null,
  memoryToken: null, // used when sessionStorage is unavailable
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

async function api(path) {
  if (!path.startsWith("/v1/")) {
    throw new ApiProblem(0, "Refused", `not an API path: ${path}`);
  }
  const token = readToken();
  if (!token) throw new ApiProblem(401, "Token needed", "paste an editor token to read the wire");
  let response;
  try {
    response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
  } catch (error) {
    throw new ApiProblem(0, "Network error", `the API could not be reached (${error.message})`);
  }
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
  return new ApiProblem(response.status, title, detail, problem.errors);
}

const itemPath = (id) => `/v1/items/${encodeURIComponent(id)}`;
const versionsPath = (id) => `/v1/items/${encodeURIComponent(id)}/versions`;
const duplicatesPath = (id) => `/v1/items/${encodeURIComponent(id)}/duplicates`;
const listPath = (params) => (String(params) ? `/v1/items?${params}` : "/v1/items");
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
  stopPolling();
  resetList();
  closeItem();
  showLogin();
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
  const box = $("problem");
  box.replaceChildren(problemNodes(problem));
  box.hidden = false;
}

function clearProblem() {
  $("problem").hidden = true;
  $("problem").replaceChildren();
}

function problemNodes(problem) {
  const fragment = document.createDocumentFragment();
  const title = element("strong", {}, problem.title || "Error");
  fragment.append(title, ": ", problem.detail || problem.message || "");
  if (problem.errors && problem.errors.length) {
    const list = element("ul");
    for (const entry of problem.errors.filter((e) => e && typeof e === "object")) {
      const where = entry.field ?? entry.index ?? entry.line;
      list.append(element("li", {}, where === undefined ? entry.message : `${where}: ${entry.message}`));
    }
    fragment.append(list);
  }
  return fragment;
}

function fail(problem) {
  if (!(problem instanceof ApiProblem)) {
    console.error(problem);
    problem = new ApiProblem(0, "Unexpected error", String(problem && problem.message));
  }
  if (problem.status === 401 || problem.status === 403) {
    signOut();
  }
  showProblem(problem);
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
  return params;
}

function applyFilters(event) {
  if (event) event.preventDefault();
  state.filters = filtersFromForm();
  reload();
}

function resetList() {
  state.listGeneration += 1;
  state.items = [];
  state.rows.clear();
  state.rowJson.clear();
  state.next = null;
  $("wire").replaceChildren();
  $("more").hidden = true;
  $("list-status").textContent = "";
}

async function reload() {
  stopPolling();
  resetList();
  const generation = state.listGeneration;
  $("list-status").textContent = "Loading…";
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
    if (!readToken()) return;
  }
  schedulePoll();
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

// Adds or replaces items by id and keeps the API's order; returns the ids that are new or changed.
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
  const delta = Date.parse(b.versioncreated) - Date.parse(a.versioncreated);
  if (delta) return delta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function renderList(fresh = []) {
  const list = $("wire");
  const focused = document.activeElement && document.activeElement.closest("#wire li");
  const focusedId = focused ? focused.dataset.id : null;
  const rows = state.items.map((item) => {
    const row = rowFor(item);
    row.classList.toggle("fresh", fresh.includes(item.id));
    return row;
  });
  list.replaceChildren(...rows);
  if (focusedId && state.rows.has(focusedId)) state.rows.get(focusedId).querySelector("a").focus();
  $("more").hidden = !state.next;
  markOpen();
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
  facts.append(" · ", timeElement(item.versioncreated));
  if (item.language) facts.append(" · ", element("span", { class: "language" }, item.language));
  const row = element("li", { class: "row" }, link, facts, badges(item));
  row.dataset.id = item.id;
  state.rowJson.set(item.id, json);
  row.classList.toggle("killed", item.pubstatus === "canceled");
  row.classList.toggle("duplicate", Boolean(item.duplicate_of));
  state.rows.set(item.id, row);
  return row;
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
// Live updates: poll for items at or after the newest one shown. (GET /v1/stream is SSE, but
// EventSource cannot send the Authorization header; a fetch-based SSE reader could replace this.)

function liveOn() {
  return $("filters").elements.namedItem("live").checked;
}

function stopPolling() {
  clearTimeout(state.timer);
  state.timer = null;
}

function schedulePoll(delay = POLL_MS) {
  stopPolling();
  if (liveOn() && readToken()) state.timer = setTimeout(poll, delay);
}

async function poll() {
  state.timer = null;
  if (document.hidden || state.polling) return; // visibilitychange starts it again
  state.polling = true;
  try {
    await pollOnce();
  } finally {
    state.polling = false;
  }
}

async function pollOnce() {
  const generation = state.listGeneration;
  const params = new URLSearchParams(state.filters);
  if (state.items.length) params.set("since", state.items[0].versioncreated);
  try {
    let url = listPath(params);
    const found = [];
    for (let pages = 0; url; pages += 1) {
      if (pages === POLL_PAGES) return reload(); // too much at once: start again from the top
      const page = await api(url);
      if (generation !== state.listGeneration) return;
      found.push(...pageItems(page));
      url = isListPage(page.next) ? page.next : null;
    }
    const fresh = merge(found);
    renderList(fresh);
    announce(fresh.length);
  } catch (problem) {
    if (generation !== state.listGeneration) return;
    $("live-status").textContent = `Live updates failed: ${problem.title || problem.message}`;
    if (problem.status === 401 || problem.status === 403) return fail(problem);
  }
  if (generation === state.listGeneration) schedulePoll();
}

function announce(count) {
  // A polite live region: say something only when something arrived, not every 5 s.
  const status = $("live-status");
  if (!count) {
    if (status.textContent.startsWith("Live updates failed")) status.textContent = "Live";
    return;
  }
  const what = count === 1 ? "1 new or updated item" : `${count} new or updated items`;
  status.textContent = `${what} at ${LOCAL_TIME.format(new Date())}`;
  $("list-status").textContent = "";
}

function onLiveToggle() {
  if (liveOn()) {
    schedulePoll(0);
  } else {
    stopPolling();
    $("live-status").textContent = "Live updates off";
  }
}

function onVisibility() {
  const idle = state.timer === null && !state.polling;
  if (!document.hidden && readToken() && !$("desk").hidden && idle) schedulePoll(0);
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
  markOpen();
}

function markOpen() {
  for (const [id, row] of state.rows) {
    const link = row.querySelector("a");
    if (id === state.openId) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
}

async function openItem(id) {
  const generation = ++state.itemGeneration;
  state.openId = id;
  markOpen();
  const title = $("item-title");
  $("item").hidden = false;
  title.textContent = "Loading…";
  for (const part of ["item-badges", "item-body", "item-meta", "item-versions", "item-duplicates"]) {
    $(part).replaceChildren();
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
  }
  title.focus();
}

function renderItem(item) {
  $("item-title").textContent = item.headline || item.slugline || "(no headline)";
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
    ["Dateline", dateline.text || [dateline.located, dateline.date, dateline.source].filter(Boolean).join(", ")],
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
  if (!versions.length) return box.replaceChildren(element("p", { class: "empty" }, "No versions."));
  const ol = element("ol", { class: "versions" });
  for (const version of versions) {
    const summary = element("summary");
    summary.append(`Version ${version.version ?? "–"}`);
    if (version.current) summary.append(" ", element("span", { class: "badge badge-current" }, "current"));
    summary.append(" · ", timeElement(version.versioncreated), ` · ${version.pubstatus || ""}`);
    summary.append(" · ", version.headline || "(no headline)");
    const details = element("details", {}, summary, element("div", { class: "body" }, bodyOf(version)));
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
  if (!others.length) return box.replaceChildren(element("p", { class: "empty" }, "No duplicates."));
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
  const box = element("p", { class: "problem" });
  box.append(problemNodes(problem));
  return box;
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

function timeElement(value) {
  const node = document.createElement("time");
  if (!value) {
    node.textContent = "–";
    return node;
  }
  const date = new Date(value);
  node.dateTime = value;
  node.title = `${value} UTC`;
  node.textContent = Number.isNaN(date.getTime()) ? value : LOCAL_TIME.format(date);
  return node;
}

// body_html is rebuilt from an inert DOMParser document, element by element: allowlisted tags
// and attributes are copied, unknown wrappers are unwrapped, active content is dropped whole.
const KEEP = new Set(
  ("p br hr h1 h2 h3 h4 h5 h6 ul ol li dl dt dd blockquote q cite pre code em strong b i u s " +
    "sub sup small mark abbr span div a table caption thead tbody tfoot tr th td figure figcaption")
    .split(" "),
);
const DROP = new Set(
  ("script style template iframe frame frameset object embed noscript svg math form input " +
    "button textarea select option link meta base img picture video audio source track canvas")
    .split(" "),
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
    if (tag === "img" && node.getAttribute("alt")) to.append(`[image: ${node.getAttribute("alt")}]`);
    return;
  }
  if (!KEEP.has(tag)) return copyChildren(node, to, depth + 1);
  const copy = document.createElement(tag);
  for (const name of ATTRIBUTES[tag] || []) {
    const value = node.getAttribute(name);
    if (value !== null && attributeAllowed(name, value)) copy.setAttribute(name, value);
  }
  if (tag === "a" && copy.hasAttribute("href")) copy.setAttribute("rel", "noopener noreferrer nofollow");
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
  $("token-form").addEventListener("submit", onTokenSubmit);
  $("sign-out").addEventListener("click", signOut);
  $("filters").addEventListener("submit", applyFilters);
  $("filters").addEventListener("reset", () => setTimeout(applyFilters, 0));
  $("f-live").addEventListener("change", onLiveToggle);
  $("more").addEventListener("click", loadMore);
  $("wire").addEventListener("keydown", onListKey);
  window.addEventListener("hashchange", route);
  document.addEventListener("visibilitychange", onVisibility);
  if (readToken()) openDesk();
  else showLogin();
}

init();
