/* Entry without a network (issue 25), on every staff page and on the offline form page.

   - The user's sites, items (with usual figures) and lots are kept in IndexedDB under the
     user's id and refreshed whenever the page is online; each list shows its age.
   - Forms marked data-offline-form="<kind>" with data-endpoint are read generically:
     [data-field] elements give the JSON body (data-type int|bool|radio|radio-bool|string),
     [data-line-item] inputs give "lines". An entry is queued with its own Idempotency-Key,
     the site, the date and the device time it was made.
   - The queue is sent by the page (load, the online event, every 20 s), oldest first, to the
     ordinary API with the session cookie and the CSRF header. Sent entries keep their
     receipt; refused ones keep the server's reason until the user discards or resends them;
     a network error or a 5xx leaves the rest queued for the next try.
   - The queue belongs to one user on this device: another user never sees or sends it.
   All texts come translated from the server (#offline-texts). */
"use strict";

(function () {
  const textsNode = document.getElementById("offline-texts");
  const TEXTS = textsNode ? JSON.parse(textsNode.textContent) : {};
  const t = (key, values) =>
    (TEXTS[key] || "").replace(/\{(\w+)\}/g, (_m, name) =>
      values && name in values ? String(values[name]) : "");
  const body = document.body;
  const shell = body.hasAttribute("data-offline-shell");
  const USER_KEY = "tracker-offline-user";
  const REFRESH_MS = 5 * 60 * 1000;
  const RETRY_MS = 20 * 1000;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  // ---- who is using this device -------------------------------------------------------
  function storedUser() {
    try { return localStorage.getItem(USER_KEY) || ""; } catch (e) { return ""; }
  }
  function rememberUser(id) {
    try {
      if (id) localStorage.setItem(USER_KEY, id); else localStorage.removeItem(USER_KEY);
    } catch (e) { /* private mode: nothing kept */ }
  }
  let user = shell ? storedUser() : (body.dataset.userId || "");
  if (!shell) rememberUser(user);

  // ---- IndexedDB ----------------------------------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("tracker-offline", 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("data", { keyPath: "user" });
        db.createObjectStore("queue", { keyPath: "key" }).createIndex("user", "user");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function store(name, mode, action) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      const request = action(transaction.objectStore(name));
      transaction.oncomplete = () => { db.close(); resolve(request ? request.result : undefined); };
      transaction.onerror = () => { db.close(); reject(transaction.error); };
    });
  }
  const getData = (id) => store("data", "readonly", (s) => s.get(id));
  const putData = (record) => store("data", "readwrite", (s) => s.put(record));
  const putEntry = (entry) => store("queue", "readwrite", (s) => s.put(entry));
  const deleteEntry = (key) => store("queue", "readwrite", (s) => s.delete(key));
  async function queueOf(id) {
    if (!id) return [];
    const list = (await store("queue", "readonly", (s) => s.index("user").getAll(id))) || [];
    return list.sort((a, b) => a.made - b.made || (a.key < b.key ? -1 : 1));
  }

  // ---- formats ------------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, "0");
  function dayText(iso) {
    const [y, m, d] = String(iso || "").split("-");
    return d ? `${d}.${m}.${y}` : "";
  }
  function timeText(iso) {
    const when = new Date(iso);
    return `${pad(when.getDate())}.${pad(when.getMonth() + 1)}.${when.getFullYear()} ` +
      `${pad(when.getHours())}:${pad(when.getMinutes())}`;
  }
  function localToday() {
    const now = new Date();
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  }
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  let lastMade = 0;
  function madeStamp() {
    lastMade = Math.max(Date.now(), lastMade + 1);
    return lastMade;
  }

  // ---- the user's data ----------------------------------------------------------------
  async function refreshData() {
    let response;
    try {
      response = await fetch("/uten-nett/data", {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
    } catch (e) { return null; }  // no network: keep what is stored
    if (response.redirected || response.status === 401) return { loggedOut: true };
    if (!response.ok) return null;
    const payload = await response.json();
    const now = new Date().toISOString();
    const record = {
      user: String(payload.user),
      fetched: { sites: now, items: now, lots: now },
      sites: payload.sites,
    };
    await putData(record);
    return record;
  }

  // ---- the queue ----------------------------------------------------------------------
  let waitingCount = 0;
  let note = "";
  async function renderQueue() {
    const box = document.getElementById("offline-queue");
    const list = await queueOf(user);
    waitingCount = list.filter((e) => e.status === "queued").length;
    if (!box) return;
    box.hidden = list.length === 0 && !note;
    box.querySelector("[data-queue-count]").textContent = t("waiting", { n: waitingCount });
    box.dataset.waiting = String(waitingCount);
    const noteNode = box.querySelector("[data-queue-note]");
    noteNode.textContent = note;
    noteNode.hidden = !note;
    const items = list.map(entryNode);
    if (list.some((e) => e.status === "sent")) {
      const li = document.createElement("li");
      li.append(button(t("clear_sent"), async () => {
        for (const entry of list) if (entry.status === "sent") await deleteEntry(entry.key);
        renderQueue();
      }));
      items.push(li);
    }
    box.querySelector("[data-queue-list]").replaceChildren(...items);
  }
  function button(label, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }
  function entryNode(entry) {
    const li = document.createElement("li");
    li.className = `queue-entry status-${entry.status}`;
    li.dataset.key = entry.key;
    li.dataset.status = entry.status;
    const state = entry.status === "sent"
      ? `${t("sent")} (${t("receipt", { id: entry.receipt })})`
      : t(entry.status);
    const line = document.createElement("span");
    line.textContent = [t(`kind_${entry.kind}`) || entry.kind, entry.site, dayText(entry.date),
      entry.summary, t("made_at", { time: timeText(entry.made_at) }), state]
      .filter(Boolean).join(" · ");
    li.append(line);
    if (entry.status === "refused") {
      const reason = document.createElement("p");
      reason.className = "error";
      reason.textContent = entry.reason;
      li.append(reason,
        button(t("retry"), async () => {
          entry.status = "queued";
          delete entry.reason;
          await putEntry(entry);
          await renderQueue();
          sync();
        }),
        button(t("discard"), async () => { await deleteEntry(entry.key); renderQueue(); }));
      if (shell) li.append(button(t("fix"), () => fixEntry(entry)));
    }
    return li;
  }

  async function fetchToken() {
    let response;
    try {
      response = await fetch("/uten-nett/token", {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
    } catch (e) { return null; }
    if (response.redirected || response.status === 401) { note = t("login_to_send"); return null; }
    if (!response.ok) return null;
    const payload = await response.json();
    // Another user is signed in on this browser: this queue is not theirs to send.
    if (String(payload.user) !== user) { note = t("login_to_send"); return null; }
    note = "";
    return payload.csrf;
  }

  function reasonOf(payload) {
    if (!payload) return t("refused_unknown");
    let reason = payload.detail || payload.title || t("refused_unknown");
    if (payload.errors && typeof payload.errors === "object") {
      const details = Object.entries(payload.errors)
        .map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`);
      if (details.length) reason += ` (${details.join("; ")})`;
    }
    return reason;
  }

  async function send(entry, token) {
    let response;
    try {
      response = await fetch(entry.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "Idempotency-Key": entry.key,
          "X-CSRFToken": token,
        },
        body: JSON.stringify(entry.body),
      });
    } catch (e) { return "stop"; }  // no network: the rest waits, in order
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return "stop";
    }
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    if (response.ok) {
      entry.status = "sent";
      entry.receipt = payload && payload.id;
      entry.sent_at = new Date().toISOString();
      await putEntry(entry);
      return "sent";
    }
    if (response.status === 401 || (payload && payload.code === "csrf")) {
      note = t("login_to_send");
      return "stop";
    }
    entry.status = "refused";
    entry.reason = reasonOf(payload);
    await putEntry(entry);
    return "refused";
  }

  let syncing = false;
  async function sync() {
    if (syncing || !user) return;
    syncing = true;
    try {
      const waiting = (await queueOf(user)).filter((e) => e.status === "queued");
      if (!waiting.length) return;
      const token = await fetchToken();
      if (!token) return;
      for (const entry of waiting) {
        const outcome = await send(entry, token);
        await renderQueue();
        if (outcome === "stop") break;
      }
    } finally {
      syncing = false;
      await renderQueue();
      body.dataset.synced = String(Date.now());
    }
  }

  // ---- logging out with a queue -------------------------------------------------------
  for (const form of document.querySelectorAll("form[data-offline-logout]")) {
    form.addEventListener("submit", (event) => {
      if (waitingCount > 0 && !window.confirm(t("logout_warning", { n: waitingCount }))) {
        event.preventDefault();
      }
    });
  }

  // ---- the offline forms --------------------------------------------------------------
  let data = null;
  let site = null;

  function readForm(form) {
    const result = { site: site.code };
    const errors = [];
    for (const el of form.querySelectorAll("[data-field]")) {
      const name = el.dataset.field;
      const type = el.dataset.type || "string";
      el.removeAttribute("aria-invalid");
      if (type === "radio" || type === "radio-bool") {
        const checked = el.querySelector("input:checked");
        if (!checked) { errors.push(t("pick_one")); continue; }
        result[name] = type === "radio-bool"
          ? checked.value === (el.dataset.true || "true") : checked.value;
      } else if (type === "bool") {
        result[name] = el.checked;
      } else if (type === "int") {
        const value = wholeNumber(el, errors);
        if (value !== null) result[name] = value;
      } else {
        const value = el.value.trim();
        if (value) result[name] = value;
        else if ("null" in el.dataset) result[name] = null;
        else if (!("optional" in el.dataset)) {
          errors.push(name === "date" ? t("pick_date") : t("pick_one"));
          el.setAttribute("aria-invalid", "true");
        }
      }
    }
    const lineInputs = form.querySelectorAll("[data-line-item]");
    if (lineInputs.length) {
      result.lines = [];
      for (const el of lineInputs) {
        const quantity = wholeNumber(el, errors);
        if (quantity !== null) result.lines.push({ item: el.dataset.lineItem, quantity });
      }
    }
    return { payload: result, errors };
  }

  function wholeNumber(el, errors) {
    const raw = el.value.trim();
    const min = Number(el.dataset.min || 0);
    const max = Number(el.dataset.max || 100000);
    if (raw === "" && min === 0) return 0;
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      errors.push(`${labelOf(el)}: ${t("whole_number")}`);
      el.setAttribute("aria-invalid", "true");
      return null;
    }
    return Number(raw);
  }
  function labelOf(el) {
    const label = el.id && document.querySelector(`label[for="${el.id}"]`);
    return label ? label.textContent.trim() : el.dataset.field || "";
  }

  function unlikely(form) {
    for (const el of form.querySelectorAll("[data-unusual-above]")) {
      const quantity = Number(el.value.trim() || 0);
      if (quantity > Number(el.dataset.unusualAbove)) {
        return { item: labelOf(el), qty: quantity, usual: el.dataset.p90 };
      }
    }
    return null;
  }

  function summaryOf(kind, payload) {
    if (payload.lines) {
      const names = Object.fromEntries(site.items.map((i) => [i.code, i.name]));
      return payload.lines.filter((l) => l.quantity)
        .map((l) => `${names[l.item] || l.item}: ${l.quantity}`).join(", ");
    }
    return payload.quantity !== undefined ? `${payload.quantity} × ${site.naloxone || ""}` : "";
  }

  async function submitOffline(form, event) {
    event.preventDefault();
    const errorNode = form.querySelector("[data-offline-error]");
    const { payload, errors } = readForm(form);
    if (errors.length) { errorNode.textContent = errors.join(" "); return; }
    const signature = JSON.stringify(payload);
    const odd = unlikely(form);
    if (odd && form.dataset.confirmed !== signature) {
      form.dataset.confirmed = signature;  // asked once: the same figures again are confirmed
      errorNode.textContent = t("unlikely", odd);
      return;
    }
    delete form.dataset.confirmed;
    const madeAt = new Date().toISOString();
    // The device's time of entry: the server's backdating window counts from it.
    if (form.dataset.madeAt) payload[form.dataset.madeAt] = madeAt;
    const kind = form.dataset.offlineForm;
    await putEntry({
      key: newKey(),
      user,
      kind,
      endpoint: form.dataset.endpoint,
      site: site.code,
      date: payload.date,
      made_at: madeAt,
      made: madeStamp(),
      body: payload,
      summary: summaryOf(kind, payload),
      status: "queued",
    });
    errorNode.textContent = "";
    for (const el of form.querySelectorAll("[data-line-item], [data-field=contacts], [data-field=note]")) {
      el.value = "";
    }
    const status = document.querySelector("[data-offline-status]");
    if (status) status.textContent = t("saved");
    else note = t("saved");
    await renderQueue();
    sync();
  }

  // ---- the ordinary forms when the network is gone ------------------------------------
  // A form marked data-offline-form with data-offline-site is sent as usual when the server
  // answers; without a network what was typed is queued instead of lost.
  async function reachable() {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 5000);
    try {
      const response = await fetch("/healthz", { cache: "no-store", signal: stop.signal });
      return response.status < 500;
    } catch (e) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
  async function guardSubmit(form, event) {
    if (form.dataset.checked === "online") return;
    event.preventDefault();
    if (!user || await reachable()) {
      form.dataset.checked = "online";
      form.submit();
      return;
    }
    const stored = await getData(user);
    const code = form.dataset.offlineSite;
    site = (stored && stored.sites.find((s) => s.code === code)) ||
      { code, items: [], naloxone: "", lots: [] };
    markUnusual(form);
    await submitOffline(form, event);
  }
  if (!shell) {
    for (const form of document.querySelectorAll("form[data-offline-form][data-offline-site]")) {
      form.addEventListener("submit", (event) => guardSubmit(form, event));
    }
  }

  async function fixEntry(entry) {
    // The refused entry back in its form; it is sent again as a new entry (a new key).
    const form = document.querySelector(`form[data-offline-form="${entry.kind}"]`);
    if (!form || !data) return;
    const select = document.querySelector("[data-offline-site]");
    if (data.sites.some((s) => s.code === entry.site)) {
      select.value = entry.site;
      showSite();
    }
    for (const el of form.querySelectorAll("[data-field]")) {
      const value = entry.body[el.dataset.field];
      if (value === undefined) continue;
      const type = el.dataset.type || "string";
      if (type === "radio" || type === "radio-bool") {
        for (const input of el.querySelectorAll("input")) input.checked = input.value === String(value);
      } else if (type === "bool") el.checked = Boolean(value);
      else el.value = value === null ? "" : String(value);
    }
    for (const line of entry.body.lines || []) {
      const input = form.querySelector(`[data-line-item="${CSS.escape(line.item)}"]`);
      if (input) input.value = line.quantity ? String(line.quantity) : "";
    }
    await deleteEntry(entry.key);
    await renderQueue();
    form.scrollIntoView();
  }

  // The largest figure taken without asking, per field, from the stored usual figures.
  function markUnusual(root) {
    for (const item of site.items) {
      const input = root.querySelector(`[data-line-item="${CSS.escape(item.code)}"]`);
      if (input && item.unusual_above !== null && item.unusual_above !== undefined) {
        input.dataset.unusualAbove = String(item.unusual_above);
        input.dataset.p90 = String(item.p90);
      }
    }
    for (const input of root.querySelectorAll("[data-offline-form=naloxone] [data-field=quantity]")) {
      if (site.naloxone_unusual_above) {
        input.dataset.unusualAbove = String(site.naloxone_unusual_above);
        input.dataset.p90 = String(site.naloxone_p90);
      } else {
        delete input.dataset.unusualAbove;
      }
    }
  }

  function showSite() {
    const select = document.querySelector("[data-offline-site]");
    site = data.sites.find((s) => s.code === select.value) || data.sites[0];
    for (const container of document.querySelectorAll("[data-offline-items]")) {
      container.replaceChildren(...site.items.map((item) => {
        const wrap = document.createElement("div");
        wrap.className = "field qty";
        const label = document.createElement("label");
        label.htmlFor = `offline-item-${item.code}`;
        label.textContent = item.name;
        const input = document.createElement("input");
        input.id = `offline-item-${item.code}`;
        input.inputMode = "numeric";
        input.placeholder = "0";
        input.dataset.lineItem = item.code;
        input.dataset.p90 = String(item.p90 || 0);
        wrap.append(label, input);
        return wrap;
      }));
    }
    for (const lots of document.querySelectorAll("[data-offline-lots]")) {
      const options = [new Option(t("any_lot"), "")].concat(site.lots.map((lot) =>
        new Option(lot.expiry ? `${lot.lot} – ${dayText(lot.expiry)}` : lot.lot, lot.lot)));
      lots.replaceChildren(...options);
    }
    markUnusual(document);
    for (const part of document.querySelectorAll("[data-needs=naloxone]")) {
      part.hidden = !site.naloxone;
    }
  }

  function showAges() {
    const ages = document.querySelector("[data-offline-ages]");
    if (!ages) return;
    ages.replaceChildren(...["sites", "items", "lots"].map((list) => {
      const li = document.createElement("li");
      li.dataset.age = list;
      li.textContent = t(`age_${list}`, { time: timeText(data.fetched[list]) });
      return li;
    }));
  }

  async function setUpShell() {
    const status = document.querySelector("[data-offline-status]");
    const fresh = await refreshData();
    if (fresh && fresh.loggedOut) {
      user = "";
      rememberUser("");
    } else if (fresh) {
      user = fresh.user;
      rememberUser(user);
      data = fresh;
    } else {
      data = user ? await getData(user) : null;
      status.textContent = t("offline");
    }
    if (!data || !data.sites.length) {
      status.textContent = t("no_data");
      return;
    }
    const select = document.querySelector("[data-offline-site]");
    select.replaceChildren(...data.sites.map((s) => new Option(`${s.name} (${s.code})`, s.code)));
    select.addEventListener("change", showSite);
    showSite();
    showAges();
    for (const input of document.querySelectorAll("[data-today]")) input.value = localToday();
    for (const form of document.querySelectorAll("form[data-offline-form]")) {
      form.addEventListener("submit", (event) => submitOffline(form, event));
    }
    document.querySelector("[data-offline-forms]").hidden = false;
  }

  async function start() {
    if (shell) {
      await setUpShell();
    } else if (user) {
      const stored = await getData(user);
      const age = stored ? Date.now() - new Date(stored.fetched.sites).getTime() : Infinity;
      if (age > REFRESH_MS) await refreshData();
    }
    await renderQueue();
    await sync();
    body.dataset.offlineReady = "true";
  }

  window.addEventListener("online", () => sync());
  setInterval(() => sync(), RETRY_MS);
  start();
})();
