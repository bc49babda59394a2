// Railbook's only script (the CSP allows no inline scripts or handlers). htmx does the requests;
// this file adds small comforts: live slider values, focus on a newly shown form, busy buttons,
// and a banner when a background request fails.
(function () {
  'use strict';

  // A range slider's value shown beside its label: <output data-for="<input id>">.
  function syncOutput(input) {
    if (!input || input.type !== 'range' || !input.id) return;
    var outs = document.querySelectorAll('output[data-for="' + CSS.escape(input.id) + '"]');
    for (var i = 0; i < outs.length; i++) outs[i].textContent = input.value;
  }
  document.addEventListener('input', function (e) { syncOutput(e.target); });
  function syncAll(root) {
    var inputs = (root || document).querySelectorAll('input[type="range"]');
    for (var i = 0; i < inputs.length; i++) syncOutput(inputs[i]);
  }
  // The back/forward cache may restore a slider's position without its output.
  window.addEventListener('pageshow', function () { syncAll(document); });

  // After a step is submitted, reverted or finished, move focus to the form that now waits for input,
  // so the keyboard flow continues without hunting for it.
  var focusNext = false;
  function inSteps(el) {
    return !!(el && el.closest && el.closest('#steps'));
  }
  document.addEventListener('htmx:beforeRequest', function (e) {
    if (inSteps(e.detail && e.detail.elt)) focusNext = true;
  });
  document.addEventListener('htmx:afterSettle', function (e) {
    syncAll(document);
    // Only a swap inside the run moves focus (the history pane also reloads after each change).
    if (!focusNext || !inSteps(e.target)) return;
    focusNext = false;
    // A revert's question takes the focus itself (see "Revert: ask first" below).
    if (e.target.closest && e.target.closest('.revert-slot')) return;
    var form = document.querySelector('#steps form.step-form');
    if (!form) {
      var finish = document.querySelector('#run-finish button[type="submit"]');
      if (finish) finish.focus();
      return;
    }
    var field = form.querySelector('[aria-invalid="true"]') ||
      form.querySelector('input:not([type="hidden"]):not([disabled]), textarea:not([disabled]), select:not([disabled])');
    if (field) {
      field.focus();
      if (field.scrollIntoView) field.scrollIntoView({ block: 'center', behavior: 'smooth' });
    }
  });

  // Busy state on the button that sent a request (Pico shows a spinner for aria-busy).
  document.addEventListener('htmx:beforeRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.tagName === 'FORM') {
      var b = elt.querySelector('button[type="submit"]');
      if (b) b.setAttribute('aria-busy', 'true');
    }
  });
  document.addEventListener('htmx:afterRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.tagName === 'FORM') {
      var b = elt.querySelector('button[aria-busy]');
      if (b) b.removeAttribute('aria-busy');
    }
  });

  // A background request that failed (404, 500, network): say so, instead of silently doing nothing.
  function flash(message) {
    var box = document.getElementById('flash');
    if (!box) return;
    box.textContent = '';
    var text = document.createElement('span');
    text.textContent = message;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'secondary';
    close.textContent = 'Dismiss';
    close.addEventListener('click', function () { box.hidden = true; });
    box.appendChild(text);
    box.appendChild(close);
    box.hidden = false;
  }
  document.addEventListener('htmx:responseError', function (e) {
    var xhr = e.detail && e.detail.xhr;
    var body = xhr && typeof xhr.responseText === 'string' ? xhr.responseText.trim() : '';
    var plain = xhr && /^text\/plain/.test(xhr.getResponseHeader('Content-Type') || '');
    flash(plain && body && body.length < 500 ? body : 'The request failed (' + (xhr ? xhr.status : '?') + '). Reload the page to see the current state.');
  });
  document.addEventListener('htmx:sendError', function () {
    flash('Railbook is not reachable. Is it still running? Reload the page once it is.');
  });
})();

// ---- Revert: ask first (issue 5) ----
// The question "Revert to step N?" arrives in the card's `.revert-slot`: focus moves to it, and
// Escape or Cancel puts the card back as it was (focus back on its Revert button). Without
// JavaScript, Cancel is a plain link back to the run page.
(function () {
  'use strict';

  // Focus goes to the safe answer (Cancel), as for any question whose other answer destroys work.
  function focusQuestion(box) {
    var safe = box.querySelector('[data-revert-cancel]');
    if (safe) safe.focus();
    if (box.scrollIntoView) box.scrollIntoView({ block: 'nearest' });
  }

  function dismiss(box) {
    var slot = box.closest('.revert-slot');
    var card = box.closest('article');
    if (slot) slot.textContent = '';
    var button = card && card.querySelector('form.revert-form button[type="submit"]');
    if (button) button.focus();
  }

  document.addEventListener('htmx:afterSettle', function (e) {
    var slot = e.target;
    if (!slot || !slot.classList || !slot.classList.contains('revert-slot')) return;
    var box = slot.querySelector('[data-revert-confirm]');
    if (box) focusQuestion(box);
  });

  // A full page that opens on the question (no-JavaScript path, or a reload) also focuses it.
  function focusOnLoad() {
    var box = document.querySelector('.revert-slot [data-revert-confirm]');
    if (box) focusQuestion(box);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', focusOnLoad);
  else focusOnLoad();

  document.addEventListener('click', function (e) {
    var cancel = e.target && e.target.closest && e.target.closest('[data-revert-cancel]');
    if (!cancel) return;
    var box = cancel.closest('[data-revert-confirm]');
    // On the question's own page there is no card to restore: follow the link.
    if (!box || location.pathname.slice(-7) === '/revert') return;
    e.preventDefault();
    dismiss(box);
  });

  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    var box = e.target && e.target.closest && e.target.closest('[data-revert-confirm]');
    if (!box) return;
    e.preventDefault();
    if (location.pathname.slice(-7) === '/revert') {
      var cancel = box.querySelector('[data-revert-cancel]');
      if (cancel) location.href = cancel.href;
      return;
    }
    dismiss(box);
  });
})();

// ---- Moving around a long run (issue 5): fold done steps, jump to the current step, focus on
// open, Escape closes the header menus. Which steps are folded is remembered per run for the tab.
(function () {
  'use strict';

  function runKey() {
    var bar = document.getElementById('run-bar');
    return bar ? bar.getAttribute('data-run') : null;
  }
  function storageKey() { return 'railbook:folded:' + runKey(); }
  function folded() {
    try { return JSON.parse(sessionStorage.getItem(storageKey()) || '[]'); } catch (e) { return []; }
  }
  function saveFolded(ids) {
    try { sessionStorage.setItem(storageKey(), JSON.stringify(ids)); } catch (e) { /* private mode: not remembered */ }
  }
  function doneCards() { return document.querySelectorAll('#steps article.step[data-status="done"]'); }

  function setFolded(card, fold) {
    card.classList.toggle('is-folded', fold);
    var b = card.querySelector('[data-toggle-step]');
    if (b) b.setAttribute('aria-expanded', fold ? 'false' : 'true');
  }

  // Folded state comes from storage after every swap: cards re-rendered by htmx come back open.
  function apply() {
    if (!runKey()) return;
    var ids = folded();
    var cards = doneCards();
    for (var i = 0; i < cards.length; i++) {
      var b = cards[i].querySelector('[data-toggle-step]');
      if (b) b.hidden = false;
      setFolded(cards[i], ids.indexOf(cards[i].getAttribute('data-step')) >= 0);
    }
    var all = document.querySelector('[data-collapse-done]');
    if (all) {
      all.hidden = cards.length === 0;
      var every = cards.length > 0 && ids.length > 0 && Array.prototype.every.call(cards, function (c) { return c.classList.contains('is-folded'); });
      all.setAttribute('aria-pressed', every ? 'true' : 'false');
      all.textContent = every ? 'Unfold done steps' : 'Fold done steps';
    }
  }

  function toggle(ids, id, fold) {
    var at = ids.indexOf(id);
    if (fold && at < 0) ids.push(id);
    if (!fold && at >= 0) ids.splice(at, 1);
    return ids;
  }

  function unfold(card) {
    if (!card || !card.classList.contains('is-folded')) return;
    saveFolded(toggle(folded(), card.getAttribute('data-step'), false));
    apply();
  }

  // The step that waits for input (or the finish card), with its first field focused.
  function goToCurrent() {
    var card = document.querySelector('#steps article.step:not([data-status="done"])') || document.getElementById('run-finish');
    if (!card) return false;
    unfold(card);
    var field = card.querySelector('form.step-form [aria-invalid="true"], form.step-form input:not([type="hidden"]):not([disabled]), form.step-form textarea:not([disabled]), form.step-form select:not([disabled]), button[type="submit"]');
    card.scrollIntoView({ block: 'start' });
    if (field) field.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener('click', function (e) {
    var t = e.target && e.target.closest ? e.target : null;
    if (!t) return;
    var one = t.closest('[data-toggle-step]');
    if (one) {
      var card = one.closest('article.step');
      var fold = !card.classList.contains('is-folded');
      saveFolded(toggle(folded(), card.getAttribute('data-step'), fold));
      apply();
      return;
    }
    if (t.closest('[data-collapse-done]')) {
      var cards = doneCards();
      var foldAll = Array.prototype.some.call(cards, function (c) { return !c.classList.contains('is-folded'); });
      saveFolded(foldAll ? Array.prototype.map.call(cards, function (c) { return c.getAttribute('data-step'); }) : []);
      apply();
      return;
    }
    if (t.closest('[data-jump="current"]')) {
      if (goToCurrent()) e.preventDefault();
      return;
    }
    // A link to a folded step (the outline) unfolds it.
    var link = t.closest('a[href^="#step-"]');
    if (link) unfold(document.getElementById(link.getAttribute('href').slice(1)));
  });

  document.addEventListener('keydown', function (e) {
    // Alt+J: jump to the current step from anywhere on a run page.
    if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === 'j' || e.key === 'J') && runKey()) {
      if (goToCurrent()) e.preventDefault();
      return;
    }
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    // Escape closes the header's menus (Workflows, Profile) and gives focus back to the menu button.
    var menus = document.querySelectorAll('details.dropdown[open]');
    for (var i = 0; i < menus.length; i++) {
      var inside = menus[i].contains(document.activeElement);
      menus[i].open = false;
      if (inside) menus[i].querySelector('summary').focus();
    }
  });

  document.addEventListener('htmx:afterSettle', apply);

  function onLoad() {
    apply();
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target) { unfold(target); return; }
    // A run page opens where the work is: on the first field waiting for input.
    if (runKey() && !document.querySelector('.revert-slot [data-revert-confirm]') && (document.activeElement === document.body || !document.activeElement)) goToCurrent();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', onLoad);
  else onLoad();
})();

// ---- Uploads (issue 5): a file over the field's limit is refused in the browser, before it is
// sent (the server refuses it too, but only after the bytes have travelled). ----
(function () {
  'use strict';
  function sizeText(n) {
    var units = ['kB', 'MB', 'GB', 'TB'];
    if (n < 1000) return n + ' bytes';
    var v = n, u = -1;
    while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ' + units[u];
  }
  function check(input) {
    if (!input || input.type !== 'file' || !input.dataset || !input.dataset.maxBytes) return;
    var max = Number(input.dataset.maxBytes);
    var file = input.files && input.files[0];
    var msg = file && file.size > max
      ? 'This file is ' + sizeText(file.size) + '; choose one of at most ' + (input.dataset.maxLabel || sizeText(max)) + '.'
      : '';
    input.setCustomValidity(msg);
    if (msg) input.reportValidity();
  }
  document.addEventListener('change', function (e) { check(e.target); });
})();
