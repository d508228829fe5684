// The exam page: one question at a time, a countdown from the server's clock, and autosave that
// survives a dropped network. Every change gets a sequence number; unsent changes wait in
// localStorage, so neither going offline nor a reload loses an answer. The page never holds a key.

import { markScrollers } from "./scrollers.js";

const root = document.getElementById("exam");
const cfg = JSON.parse(document.getElementById("exam-config").textContent);
const T = cfg.text;
const say = (text, n) => text.replace("{n}", n);
const pageCsrf = document.querySelector("#submit-form [name=csrfmiddlewaretoken]").value;
// Read at send time: logging in again (e.g. in another tab) issues a new token.
const csrf = () => /(?:^|; )csrftoken=([^;]+)/.exec(document.cookie)?.[1] || pageCsrf;
const storeKey = `moshi-attempt-${cfg.attempt}`;
// Only the page's own structure: a question's text may not pose as a section or a cell.
const sections = [...root.querySelectorAll(".exam-main > .exam-q")];
const cells = [...root.querySelectorAll("#navigator .nav-grid > li > .nav-cell")];
const statusEl = document.getElementById("save-status");
const timerEl = document.getElementById("timer");
const paceEl = document.getElementById("pace");
const announceEl = document.getElementById("announce");
const review = document.getElementById("review");
const keys = document.getElementById("keys");

const state = cfg.state.map(([sel, flagged, seq]) => ({ sel, flagged, seq }));
let clockOffset = cfg.now - Date.now(); // server time minus this machine's time
let current = 0;
let inFlight = 0;
let retryTimer = null;
let retryDelay = 1000;
let timeIsUp = false; // the clock reached zero: no more changes
let finished = false; // submitted or closed: nothing more to send
let pending = readPending(); // position -> {sel, flagged, seq}: changes the server has not confirmed
let lastSeq = Math.max(0, ...state.map((s) => s.seq), ...Object.values(pending).map((p) => p.seq));

// ---- persistence --------------------------------------------------------------------------
function readPending() {
  try {
    return JSON.parse(localStorage.getItem(storeKey)) || {};
  } catch {
    return {};
  }
}

function writePending() {
  try {
    if (Object.keys(pending).length) localStorage.setItem(storeKey, JSON.stringify(pending));
    else localStorage.removeItem(storeKey);
  } catch {
    /* storage full or disabled: the change is still being sent */
  }
}

function record(i) {
  const s = state[i];
  s.seq = ++lastSeq;
  pending[i + 1] = { sel: s.sel, flagged: s.flagged, seq: s.seq };
  writePending();
  paintCell(i);
  send(i + 1);
}

async function send(position) {
  const entry = pending[position];
  if (!entry || finished) return;
  inFlight++;
  showStatus();
  const sentAt = Date.now();
  try {
    const response = await fetch(cfg.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ position, selected: entry.sel, flagged: entry.flagged, seq: entry.seq }),
    });
    if (response.ok) {
      const body = await response.json();
      clockOffset = body.now - (sentAt + Date.now()) / 2;
      retryDelay = 1000;
      if (body.stale && pending[position] && pending[position].seq === entry.seq) {
        // The server holds a newer number (another tab, or a page older than the server): what this page
        // shows is what the candidate chose last, so send it again with a number past the server's.
        lastSeq = Math.max(lastSeq, body.seq);
        record(position - 1);
      } else {
        confirmSent(position, entry);
      }
    } else if (response.status === 409) {
      confirmSent(position, entry);
      closed();
    } else if (response.status === 401 || response.status === 403) {
      statusEl.dataset.problem = "relogin"; // kept: sent again after the candidate logs in
    } else if (response.status >= 500) {
      scheduleRetry();
    } else {
      confirmSent(position, entry); // refused for good (e.g. a choice that does not exist): say so
      const body = await response.json().catch(() => ({}));
      announce(body.error || T.refused);
    }
  } catch {
    scheduleRetry(); // offline: the change stays queued in localStorage
  } finally {
    inFlight--;
    showStatus();
  }
}

function confirmSent(position, entry) {
  if (pending[position] && pending[position].seq === entry.seq) {
    delete pending[position];
    writePending();
  }
  delete statusEl.dataset.problem;
}

function scheduleRetry() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    flush();
  }, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 15000);
}

function flush() {
  return Promise.all(Object.keys(pending).map((p) => send(Number(p))));
}

function showStatus() {
  const unsent = Object.keys(pending).length;
  let key = "saved";
  if (inFlight) key = "saving";
  else if (unsent) key = statusEl.dataset.problem === "relogin" ? "relogin" : "unsaved";
  if (statusEl.dataset.state !== key) {
    statusEl.dataset.state = key;
    statusEl.textContent = T[key];
  }
}

// ---- questions, navigator, review -----------------------------------------------------------
function inputsOf(i) {
  return [...sections[i].querySelectorAll(":scope > .question > .choices > .choice > input")];
}

function paintInputs(i) {
  inputsOf(i).forEach((input, n) => (input.checked = state[i].sel.includes(n)));
  sections[i].querySelector(":scope > .q-actions > [data-action=flag]").setAttribute("aria-pressed", String(state[i].flagged));
}

function paintCell(i) {
  const s = state[i];
  const cell = cells[i];
  cell.classList.toggle("answered", s.sel.length > 0);
  cell.classList.toggle("flagged", s.flagged);
  const words = [say(T.question, i + 1), s.sel.length ? T.answeredWord : T.unansweredWord];
  if (s.flagged) words.push(T.flaggedWord);
  cell.setAttribute("aria-label", words.join(" "));
  counts();
}

function counts() {
  const answered = state.filter((s) => s.sel.length).length;
  root.querySelector("[data-count=answered]").textContent = answered;
  root.querySelector("[data-count=unanswered]").textContent = state.length - answered;
  root.querySelector("[data-count=flagged]").textContent = state.filter((s) => s.flagged).length;
}

function show(i, focus = false) {
  if (i < 0 || i >= sections.length) return;
  sections[current].classList.remove("current");
  cells[current].removeAttribute("aria-current");
  current = i;
  sections[i].classList.add("current");
  cells[i].setAttribute("aria-current", "step");
  history.replaceState(null, "", `#q${i + 1}`);
  const heading = sections[i].querySelector(":scope > .question > .question-head > .question-number");
  if (focus) heading.focus({ preventScroll: true });
  markScrollers(sections[i]); // a hidden question measured nothing: measure it now it shows
  revealBelowBar(sections[i]);
}

// The bar with the clock stays on top of the page: a question jumped to starts just below it, never under it.
const bar = root.querySelector(".exam-bar");
// The browser's own jumps to #qN (links, a reload) stop the same distance below it (scroll-margin-top).
new ResizeObserver(() => root.style.setProperty("--bar-height", `${bar.offsetHeight}px`)).observe(bar);
function revealBelowBar(section) {
  const barBottom = bar.getBoundingClientRect().bottom;
  const top = section.getBoundingClientRect().top;
  if (top < barBottom || top > window.innerHeight / 3) window.scrollBy(0, top - barBottom - 8);
}

function choose(i, n) {
  const inputs = inputsOf(i);
  if (n >= inputs.length) return;
  if (inputs[n].type === "checkbox") inputs[n].checked = !inputs[n].checked;
  else inputs[n].checked = true;
  readInputs(i);
}

function readInputs(i) {
  state[i].sel = inputsOf(i).flatMap((input, n) => (input.checked ? [n] : []));
  record(i);
}

function toggleFlag(i) {
  state[i].flagged = !state[i].flagged;
  paintInputs(i);
  record(i);
}

function openReview() {
  // Every question as a compact cell by state (like the navigator), the submit button above them.
  const grid = review.querySelector(".review-grid");
  grid.replaceChildren(
    ...state.map((s, i) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "nav-cell review-cell";
      button.classList.toggle("answered", s.sel.length > 0);
      button.classList.toggle("flagged", s.flagged);
      button.dataset.goto = i;
      button.textContent = i + 1;
      button.setAttribute("aria-label", cells[i].getAttribute("aria-label"));
      li.append(button);
      return li;
    }),
  );
  const answered = state.filter((s) => s.sel.length).length;
  review.querySelector("[data-review-count=answered]").textContent = answered;
  review.querySelector("[data-review-count=unanswered]").textContent = state.length - answered;
  review.querySelector("[data-review-count=flagged]").textContent = state.filter((s) => s.flagged).length;
  filterReview();
  root.classList.add("reviewing");
  review.focus();
  revealBelowBar(review);
}

function filterReview() {
  const show = review.querySelector("input[name=review-show]:checked").value;
  review.querySelectorAll(".review-cell").forEach((cell) => {
    const hidden =
      (show === "unanswered" && cell.classList.contains("answered")) ||
      (show === "flagged" && !cell.classList.contains("flagged"));
    cell.parentElement.hidden = hidden;
  });
}

function closeReview() {
  root.classList.remove("reviewing");
}

function announce(text) {
  announceEl.textContent = "";
  setTimeout(() => (announceEl.textContent = text), 50);
}

// ---- clock -----------------------------------------------------------------------------------
const serverNow = () => Date.now() + clockOffset;
let warned10 = cfg.deadline - serverNow() <= 600000;
let warned1 = cfg.deadline - serverNow() <= 60000;

function tick() {
  const remaining = Math.max(0, cfg.deadline - serverNow());
  const seconds = Math.ceil(remaining / 1000);
  const h = Math.floor(seconds / 3600);
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  const text = h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  if (timerEl.textContent !== text) timerEl.textContent = text;
  if (!warned10 && remaining <= 600000) {
    warned10 = true;
    timerEl.classList.add("warn");
    announce(T.warn10);
  }
  if (!warned1 && remaining <= 60000) {
    warned1 = true;
    timerEl.classList.add("urgent");
    announce(T.warn1);
  }
  pace();
  if (remaining === 0 && !timeIsUp) timeUp();
}

function pace() {
  // How many questions an even pace would have answered by now (G検定: one every ~41 s), beside how many the
  // candidate has: a count, never a question number, so it cannot be read as "go to question n".
  const perQuestion = (cfg.deadline - cfg.started) / state.length;
  const due = Math.min(state.length, Math.floor((serverNow() - cfg.started) / perQuestion));
  const answered = state.filter((s) => s.sel.length).length;
  const diff = answered - due;
  const where = diff < 0 ? say(T.behind, -diff) : diff > 0 ? say(T.ahead, diff) : T.onPace;
  const text = due
    ? `${say(T.paceDue, due)} · ${say(T.paceYou, answered)}（${where}）`
    : say(T.paceStart, Math.round(perQuestion / 1000));
  if (paceEl.textContent !== text) paceEl.textContent = text;
}

async function timeUp() {
  timeIsUp = true;
  announce(T.timeUp);
  root.querySelectorAll(".choices input, [data-action=flag]").forEach((el) => (el.disabled = true));
  submitNow();
}

async function submitNow() {
  // Queued answers go first: the server still takes them for a short grace after the deadline. Submit
  // once they are all in, or when the grace is nearly over (the server's sweeper submits anyway).
  await flush();
  if (Object.keys(pending).length && serverNow() < cfg.deadline + cfg.graceMs - 5000) {
    setTimeout(submitNow, 2000);
    return;
  }
  const form = new FormData();
  form.append("csrfmiddlewaretoken", csrf()); // the server records whether the deadline had passed
  try {
    const response = await fetch(cfg.submitUrl, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    closed();
  } catch {
    setTimeout(submitNow, 3000); // the server's sweeper submits it too, if we never get through
  }
}

function closed() {
  finished = true;
  pending = {};
  writePending();
  announce(T.closed);
  setTimeout(() => location.assign(cfg.resultUrl), 800);
}

// ---- wiring ----------------------------------------------------------------------------------
history.scrollRestoration = "manual"; // a reload shows the current question below the bar, not the old offset
// The start answers its POST with this page: take the attempt's address, so a reload or a bookmark opens it.
if (location.pathname !== cfg.pageUrl) history.replaceState(null, "", cfg.pageUrl + location.hash);
root.classList.add("js");
for (const [position, entry] of Object.entries(pending)) {
  const s = state[position - 1];
  if (s && entry.seq > s.seq) Object.assign(s, { sel: entry.sel, flagged: entry.flagged, seq: entry.seq });
  else delete pending[position]; // the server already has this or something newer
}
writePending();
state.forEach((_, i) => {
  paintInputs(i);
  paintCell(i);
});
const fromHash = () => {
  const match = /^#q(\d+)$/.exec(location.hash);
  return match ? Math.min(Math.max(Number(match[1]), 1), sections.length) - 1 : null;
};
show(fromHash() ?? 0);
window.addEventListener("load", () => revealBelowBar(sections[current])); // after the browser's jump to #qN
// A link to #qN (or the address bar) moves to that question like the navigator does.
window.addEventListener("hashchange", () => {
  const i = fromHash();
  if (i !== null && i !== current) {
    closeReview();
    show(i, true);
  }
});
showStatus();
flush();
tick();
setInterval(tick, 250);
window.addEventListener("online", flush);
window.addEventListener("focus", flush);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && flush());

review.addEventListener("change", (event) => event.target.name === "review-show" && filterReview());

root.addEventListener("change", (event) => {
  const section = event.target.closest(".exam-main > .exam-q");
  if (section && event.target.matches(".choices input")) readInputs(sections.indexOf(section));
});

root.addEventListener("click", (event) => {
  const cell = event.target.closest("#navigator .nav-cell");
  if (cell) {
    event.preventDefault();
    closeReview();
    root.classList.remove("nav-open");
    show(Number(cell.dataset.n) - 1, true);
    return;
  }
  const target = event.target.closest("[data-action], [data-goto]");
  if (!target) return;
  if (target.dataset.goto !== undefined) {
    closeReview();
    show(Number(target.dataset.goto), true);
    return;
  }
  const action = target.dataset.action;
  if (action === "prev") show(current - 1, true);
  else if (action === "next") show(current + 1, true);
  else if (action === "flag") toggleFlag(current);
  else if (action === "review") openReview();
  else if (action === "close-review") closeReview();
  else if (action === "help") keys.showModal();
  else if (action === "navigator") {
    const open = root.classList.toggle("nav-open");
    target.setAttribute("aria-expanded", String(open));
  }
});

document.getElementById("submit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const left = state.filter((s) => !s.sel.length).length;
  if (!window.confirm(left ? say(T.confirmLeft, left) : T.confirm)) return;
  await flush();
  if (Object.keys(pending).length) {
    announce(T.unsaved);
    return;
  }
  finished = true;
  writePending();
  event.target.querySelector("[name=csrfmiddlewaretoken]").value = csrf();
  event.target.submit();
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || timeIsUp || finished) return;
  if (event.target.matches("input[type=text], textarea, select")) return;
  if (keys.open) return; // the dialog handles Escape itself
  const key = event.key;
  const index = "1234".indexOf(key) >= 0 ? "1234".indexOf(key) : "abcd".indexOf(key.toLowerCase());
  if (index >= 0 && key.length === 1) choose(current, index);
  else if (key === "f" || key === "F") toggleFlag(current);
  else if (key === "ArrowRight") show(current + 1, true);
  else if (key === "ArrowLeft") show(current - 1, true);
  else if (key === "r" || key === "R") openReview();
  else if (key === "?") keys.showModal();
  else if (key === "Escape") closeReview();
  else return;
  event.preventDefault();
});
