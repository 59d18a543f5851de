// Tessera UI: small progressive enhancements; every page works without them except the pickers.
"use strict";

function $(selector, root) { return (root || document).querySelector(selector); }
function $$(selector, root) { return Array.from((root || document).querySelectorAll(selector)); }

// Confirmation for destructive or irreversible buttons (data-confirm).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) { event.preventDefault(); }
});

// List pages: select all, the "N selected" counter, mass buttons enabled only with a selection.
function setupList() {
  const form = $("#mass-form");
  if (!form) return;
  const boxes = $$("input[name='tokenids[]'][type=checkbox], input[name='ids[]'][type=checkbox]", form);
  const all = $("#select-all", form);
  const counter = $("#selected-count", form);
  function refresh() {
    const selected = boxes.filter((b) => b.checked);
    boxes.forEach((b) => b.closest("tr").classList.toggle("selected", b.checked));
    if (counter) counter.textContent = counter.dataset.template.replace("%1$s", selected.length);
    $$("button.mass", form).forEach((b) => { b.disabled = selected.length === 0; });
    if (all) all.checked = selected.length > 0 && selected.length === boxes.length;
  }
  boxes.forEach((b) => b.addEventListener("change", refresh));
  if (all) all.addEventListener("change", () => { boxes.forEach((b) => { b.checked = all.checked; }); refresh(); });
  // A status link acts on its own row only: drop the other selections for that submit.
  $$("button[data-single]", form).forEach((button) => button.addEventListener("click", () => {
    boxes.forEach((b) => { b.checked = false; });
  }));
  refresh();
}

// Filter: the days box is usable only while "Expires in less than" is ticked.
function setupFilter() {
  const state = $("#filter_expires_state");
  const days = $("#filter_expires_days");
  if (!state || !days) return;
  state.addEventListener("change", () => { days.disabled = !state.checked; if (state.checked) days.focus(); });
}

// Token form: the expiry row follows its checkbox; the picker fills the text box; values are trimmed.
function pad(n) { return String(n).padStart(2, "0"); }
function setupTokenForm() {
  const form = $("#token-form");
  if (!form) return;
  const state = $("#expires_state"), row = $("#expires-row"), input = $("#expires_at"), picker = $("#expires_picker");
  if (state) state.addEventListener("change", () => {
    row.hidden = !state.checked;
    input.disabled = !state.checked;
    if (state.checked) input.focus();
  });
  const calendar = $("#expires_calendar");
  if (picker && calendar) {
    picker.addEventListener("change", () => { if (picker.value) input.value = picker.value.replace("T", " ") + (picker.value.length === 16 ? ":00" : ""); });
    calendar.addEventListener("click", () => {
      // Start the calendar at the typed date when it is a valid one.
      if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(input.value)) picker.value = input.value.replace(" ", "T");
      if (picker.showPicker) { try { picker.showPicker(); return; } catch (e) { /* not allowed: fall through */ } }
      picker.focus();
    });
  }
  form.addEventListener("submit", () => {
    ["name", "description"].forEach((id) => { const field = $("#" + id); if (field) field.value = field.value.trim(); });
  });
}

// User pickers: autocomplete over username, name and surname, and a "Select" dialog with every user.
// `lookup` "owners" leaves out users who cannot hold a token (the guest while it cannot sign in).
async function searchUsers(text, lookup) {
  const query = "search=" + encodeURIComponent(text) + (lookup ? "&for=" + encodeURIComponent(lookup) : "");
  const response = await fetch("/ui/users?" + query, { credentials: "same-origin" });
  return response.ok ? response.json() : [];
}
function chip(container, name, user, removeLabel) {
  const li = document.createElement("li");
  const hidden = document.createElement("input");
  hidden.type = "hidden"; hidden.name = name; hidden.value = user.userid;
  const remove = document.createElement("button");
  remove.type = "button"; remove.className = "chip-remove"; remove.textContent = "×"; remove.setAttribute("aria-label", removeLabel);
  const label = document.createElement("span");
  label.className = "chip-label"; label.textContent = user.label; label.title = user.label;
  li.append(hidden, label, remove);
  container.append(li);
}
function setupMultiselect(box) {
  const name = box.dataset.name, multiple = box.dataset.multiple === "1", lookup = box.dataset.lookup;
  const chips = $(".chips", box), input = $(".ms-input", box), list = $(".suggestions", box);
  let active = -1, found = [], asked = 0;
  function choose(user) {
    asked++;
    if (!multiple) chips.innerHTML = "";
    if (!$$("input", chips).some((i) => i.value === user.userid)) chip(chips, name, user, box.dataset.removeLabel);
    input.value = ""; list.hidden = true; input.focus();
  }
  function show() {
    list.innerHTML = "";
    found.forEach((user, index) => {
      const li = document.createElement("li");
      li.textContent = user.label; li.setAttribute("role", "option");
      li.setAttribute("aria-selected", index === active ? "true" : "false");
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(user); });
      list.append(li);
    });
    list.hidden = found.length === 0;
  }
  input.addEventListener("input", async () => {
    // Only the answer to the latest text counts: a slower, older answer is dropped.
    const text = input.value.trim(), ticket = ++asked;
    const users = text ? await searchUsers(text, lookup) : [];
    if (ticket !== asked || input.value.trim() !== text || document.activeElement !== input) return;
    found = users; active = found.length ? 0 : -1; show();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && found.length) { active = (active + 1) % found.length; show(); e.preventDefault(); }
    else if (e.key === "ArrowUp" && found.length) { active = (active - 1 + found.length) % found.length; show(); e.preventDefault(); }
    else if (e.key === "Enter" && active >= 0 && !list.hidden) { choose(found[active]); e.preventDefault(); }
    else if (e.key === "Escape") { list.hidden = true; }
  });
  input.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 150));
  box.addEventListener("click", (e) => { if (e.target.classList.contains("chip-remove")) e.target.closest("li").remove(); });
  const select = $(".ms-select", box), target = $("#user-dialog");
  if (select && target) select.addEventListener("click", async () => {
    const listEl = $("#user-dialog-list", target), search = $("#user-dialog-search", target);
    let dialogAsked = 0;
    async function fill() {
      const ticket = ++dialogAsked;
      const users = await searchUsers(search.value.trim(), lookup);
      if (ticket !== dialogAsked) return;
      listEl.innerHTML = "";
      users.forEach((user) => {
        const li = document.createElement("li"), b = document.createElement("button");
        b.type = "button"; b.textContent = user.label;
        b.addEventListener("click", () => { choose(user); target.close(); });
        li.append(b); listEl.append(li);
      });
    }
    search.value = ""; search.oninput = fill; await fill();
    $("#user-dialog-close", target).onclick = () => target.close();
    target.showModal(); search.focus();
  });
}

// One-time token page: copy to clipboard (Clipboard API in a secure context, else a selection copy).
// The page must never come back from the back/forward cache: it forgets the value as it is left, and
// a restored copy asks the server again, which has nothing to show the second time.
function setupTokenView() {
  const button = $("#copy-token");
  if (!button) return;
  window.addEventListener("pagehide", () => { $("#" + button.dataset.copy).textContent = ""; });
  window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });
  button.addEventListener("click", async () => {
    const text = $("#" + button.dataset.copy).textContent;
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); }
      else {
        const area = document.createElement("textarea");
        area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
        document.body.append(area); area.select(); document.execCommand("copy"); area.remove();
      }
      button.textContent = button.dataset.copied;
    } catch (e) { window.getSelection().selectAllChildren($("#" + button.dataset.copy)); }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupList(); setupFilter(); setupTokenForm(); setupTokenView();
  $$(".multiselect").forEach(setupMultiselect);
});
