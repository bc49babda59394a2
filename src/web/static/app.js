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
