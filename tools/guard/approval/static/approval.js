// The approval page's passkey ceremonies. Served from the page's own origin
// (CSP default-src 'self'); every POST carries the page's anti-CSRF token.
"use strict";

function csrf() {
  return document.getElementById("csrf").dataset.csrf;
}

function show(text, isProblem) {
  let el = document.getElementById("message");
  if (!el) {
    el = document.createElement("p");
    el.id = "message";
    document.querySelector("main").prepend(el);
  }
  el.hidden = false;
  el.className = isProblem ? "problem" : "message";
  el.textContent = text;
}

async function post(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new Error(data.error || "HTTP " + res.status);
  }
  return data;
}

async function decideWithPasskey(action) {
  const id = document.getElementById("csrf").dataset.id;
  const approver = document.getElementById("approver").value;
  if (!approver) {
    show("Type your name first.", true);
    return;
  }
  try {
    const options = await post("/approvals/" + id + "/passkey/begin", { approver, action });
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
    const credential = await navigator.credentials.get({ publicKey });
    const q = new URLSearchParams({ approver, action });
    await post("/approvals/" + id + "/passkey/finish?" + q, credential.toJSON());
    location.reload();
  } catch (e) {
    show("Passkey: " + e.message, true);
  }
}

async function enrol() {
  const base = location.pathname.replace(/\/$/, "");
  try {
    const options = await post(base + "/register-begin", {});
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
    const credential = await navigator.credentials.create({ publicKey });
    const done = await post(base + "/register-finish", credential.toJSON());
    show(done.message, false);
    document.getElementById("enrol").disabled = true;
  } catch (e) {
    show("Passkey: " + e.message, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["passkey-approve", "passkey-deny"]) {
    const b = document.getElementById(id);
    if (b) b.addEventListener("click", () => decideWithPasskey(b.dataset.action));
  }
  const e = document.getElementById("enrol");
  if (e) e.addEventListener("click", enrol);
});
