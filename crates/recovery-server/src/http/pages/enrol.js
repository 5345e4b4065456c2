// The security-key enrolment page's script (no inline script: the page's CSP forbids it).
// It asks the service for WebAuthn creation options, turns their base64url fields into the
// ArrayBuffers navigator.credentials.create wants, and sends the key's answer back the same way.
"use strict";

(function () {
  const main = document.getElementById("enrol");
  const form = document.getElementById("enrol-form");
  const button = document.getElementById("enrol-button");
  const nameField = document.getElementById("key-name");
  const status = document.getElementById("enrol-status");
  if (!main || !form || !button || !status) {
    return;
  }
  const words = main.dataset;
  const base = window.location.pathname.replace(/\/+$/, "");

  function say(text, kind) {
    status.textContent = text;
    status.className = "status " + kind;
    if (kind !== "working") {
      status.focus();
    }
  }

  function fromBase64url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const binary = window.atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // webauthn-rs sends {publicKey: {challenge, user: {id}, excludeCredentials: [{id}]...}} with
  // those fields in base64url.
  function creationOptions(options) {
    const publicKey = Object.assign({}, options.publicKey);
    publicKey.challenge = fromBase64url(publicKey.challenge);
    publicKey.user = Object.assign({}, publicKey.user, { id: fromBase64url(publicKey.user.id) });
    if (Array.isArray(publicKey.excludeCredentials)) {
      publicKey.excludeCredentials = publicKey.excludeCredentials.map(function (credential) {
        return Object.assign({}, credential, { id: fromBase64url(credential.id) });
      });
    }
    return { publicKey: publicKey };
  }

  // What webauthn-rs reads back: RegisterPublicKeyCredential.
  function answer(credential) {
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64url(credential.response.attestationObject),
        clientDataJSON: toBase64url(credential.response.clientDataJSON),
      },
      extensions: {},
    };
  }

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "omit",
      cache: "no-store",
    });
    let json = null;
    try {
      json = await response.json();
    } catch (ignored) {
      json = null;
    }
    return { status: response.status, body: json };
  }

  function problemWords(reply) {
    const code = reply.body && reply.body.code;
    if (reply.status === 410 || reply.status === 404 || code === "enrolment_link_invalid") {
      return { text: words.invalid, over: true };
    }
    if (code === "security_key_already_registered") {
      return { text: words.already, over: false };
    }
    if (code === "security_key_rejected" || code === "security_key_model_not_allowed" ||
        code === "registration_invalid") {
      return { text: words.rejected, over: false };
    }
    if (code === "limit_reached") {
      return { text: words.limit, over: false };
    }
    return { text: words.failed, over: false };
  }

  async function enrol() {
    button.disabled = true;
    say(words.working, "working");
    try {
      const started = await post("/options");
      if (started.status !== 201) {
        const problem = problemWords(started);
        say(problem.text, "error");
        button.disabled = problem.over;
        return;
      }
      let credential;
      try {
        credential = await navigator.credentials.create(creationOptions(started.body.options));
      } catch (error) {
        // The browser's reason, for whoever helps the person (never shown as the message).
        status.dataset.reason = (error && error.name) || "unknown";
        status.dataset.detail = (error && error.message) || "";
        say(error && error.name === "InvalidStateError" ? words.already : words.cancelled, "error");
        button.disabled = false;
        return;
      }
      const finished = await post("/registration", {
        registration_id: started.body.id,
        name: nameField ? nameField.value : "",
        credential: answer(credential),
      });
      if (finished.status === 201) {
        say(words.done, "done");
        form.hidden = true;
        return;
      }
      const problem = problemWords(finished);
      say(problem.text, "error");
      button.disabled = problem.over;
    } catch (error) {
      say(words.failed, "error");
      button.disabled = false;
    }
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    say(words.unsupported, "error");
    button.disabled = true;
    return;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    enrol();
  });
  button.disabled = false;
})();
