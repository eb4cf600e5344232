// Signing in the browser: the drafting and signing page's treaty acts, each prepared by the
// server (POST /api/rooms/{room}/acts/prepare: the statement and its RFC 8785 text), shown to
// the person, signed here with WebCrypto Ed25519 and submitted with the public key and the
// signature (POST /api/rooms/{room}/acts). The private keys live in this browser's IndexedDB,
// one per person, room and purpose ("root": the party's root key; "signing": the person's
// own key as representative), and leave it only as a file the person saves: PKCS#8 PEM, the
// format `servanda keys new` writes and `servanda room sign --key` reads.
"use strict";

(() => {
  const ED25519 = { name: "Ed25519" };
  const DATABASE = "servanda-keys";
  const STORE = "keys";
  const PURPOSES = {
    root: (party) => `${party}'s root key`,
    signing: () => "your signing key",
  };

  // -- bytes -------------------------------------------------------------------------------
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  const base64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)));
  const unbase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const base64urlToHex = (text) => hex(unbase64(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4)));

  async function fingerprint(publicHex) {
    // As servanda.crypto.fingerprint: the first 16 hex digits of SHA-256, in groups of four.
    const bytes = Uint8Array.from(publicHex.match(/../g), (pair) => parseInt(pair, 16));
    const digest = hex(await crypto.subtle.digest("SHA-256", bytes)).slice(0, 16);
    return digest.match(/.{4}/g).join(":");
  }

  // -- the key store (IndexedDB: CryptoKey objects are stored as they are) -------------------
  function database() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function store(mode, work) {
    const db = await database();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        transaction.oncomplete = () => resolve(request.result);
        transaction.onerror = transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  }

  const page = () => document.getElementById("signing");
  const slot = (purpose) => `${page().dataset.person}|${page().dataset.room}|${purpose}`;
  const held = (purpose) => store("readonly", (keys) => keys.get(slot(purpose)));
  const keep = (purpose, entry) => store("readwrite", (keys) => keys.put(entry, slot(purpose)));
  const forget = (purpose) => store("readwrite", (keys) => keys.delete(slot(purpose)));

  // An entry: the private key (extractable, so that it can be saved to a file) and its
  // public key as the 64 hex digits statements name it by.
  async function entryOf(privateKey) {
    const jwk = await crypto.subtle.exportKey("jwk", privateKey);  // carries x, the public key
    return { privateKey, publicHex: base64urlToHex(jwk.x), created: new Date().toISOString() };
  }

  async function createKey(purpose) {
    const pair = await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]);
    const entry = await entryOf(pair.privateKey);
    await keep(purpose, entry);
    return entry;
  }

  // -- key files -----------------------------------------------------------------------------
  function pem(der) {
    const body = base64(der).match(/.{1,64}/g).join("\n");
    return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
  }

  async function readKeyFile(text) {
    const trimmed = text.trim();
    let privateKey;
    if (trimmed.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new Error("this key file is encrypted; import an unencrypted PKCS#8 PEM file, as `servanda keys new` writes");
    }
    if (trimmed.startsWith("-----BEGIN PRIVATE KEY-----")) {
      const body = trimmed.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
      try {
        privateKey = await crypto.subtle.importKey("pkcs8", unbase64(body), ED25519, true, ["sign"]);
      } catch (error) {
        throw new Error("not an Ed25519 private key in PKCS#8 PEM");
      }
    } else if (trimmed.startsWith("-----BEGIN")) {
      throw new Error("this file holds no private key: import the file ending in .key, not the public key");
    } else {
      let jwk;
      try { jwk = JSON.parse(trimmed); } catch (error) { throw new Error("not a PEM key file and not a JSON Web Key"); }
      if (!jwk || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw new Error('expected an Ed25519 JWK ("kty": "OKP", "crv": "Ed25519")');
      if (!jwk.d) throw new Error("this JWK is a public key; a private key has the field 'd'");
      if (!jwk.x) throw new Error("this JWK lacks its public key 'x'");
      try {
        privateKey = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", d: jwk.d, x: jwk.x }, ED25519, true, ["sign"]);
      } catch (error) {
        throw new Error("the JWK's 'd' and 'x' are not an Ed25519 key pair");
      }
    }
    return entryOf(privateKey);
  }

  function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = Object.assign(document.createElement("a"), { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // -- messages --------------------------------------------------------------------------------
  function say(text, error = false) {
    const area = document.getElementById("messages");
    const line = document.createElement("p");
    line.className = error ? "error" : "notice";
    if (error) line.setAttribute("role", "alert");
    line.textContent = text;
    area.replaceChildren(line);
  }

  // -- what the server knows (data-registered in the actions part) and what this browser holds ---
  function registered() {
    const element = document.getElementById("registered");
    return element ? JSON.parse(element.dataset.registered) : { root: null, keys: {} };
  }

  async function showKeys() {
    if (!page()) return;
    const known = registered();
    const party = page().dataset.party;
    for (const purpose of Object.keys(PURPOSES)) {
      const entry = await held(purpose);
      const state = document.getElementById(`key-${purpose}-state`);
      let text;
      if (!entry) {
        text = purpose === "root" && known.root
          ? `${party}'s root key is registered, and this browser does not hold it: import it from its file to act with it.`
          : "This browser holds no key for this yet: create one, or import it from a file.";
      } else {
        const print = await fingerprint(entry.publicHex);
        text = `This browser holds a key, fingerprint ${print}. `;
        if (purpose === "root") {
          text += !known.root ? `It is not registered yet.`
            : known.root === entry.publicHex ? `It is ${party}'s registered root key.`
              : `It is NOT ${party}'s registered root key: import the registered one from its file.`;
        } else {
          const basis = known.keys[entry.publicHex];
          text += basis ? `Registered for ${party}: ${basis}.` : "It holds no office or mandate yet.";
        }
      }
      state.textContent = text;
      document.getElementById(`key-${purpose}-create`).hidden = Boolean(entry);
      document.getElementById(`key-${purpose}-export`).hidden = !entry;
      document.getElementById(`key-${purpose}-forget`).hidden = !entry;
    }
  }

  async function keyAction(element) {
    const purpose = element.dataset.purpose;
    const name = PURPOSES[purpose](page().dataset.party);
    if (element.dataset.keyAction === "create") {
      const entry = await createKey(purpose);
      say(`A new key was made in this browser for ${name} (fingerprint ${await fingerprint(entry.publicHex)}). Save it to a file.`);
    } else if (element.dataset.keyAction === "export") {
      const entry = await held(purpose);
      const der = await crypto.subtle.exportKey("pkcs8", entry.privateKey);
      const label = `${page().dataset.party}-${purpose}`.toLowerCase().replace(/[^a-z0-9]+/g, "-");
      download(`servanda-${label}-${page().dataset.room}.key`, pem(der), "application/x-pem-file");
      say(`${name} saved to a file: keep it where only you can read it.`);
    } else if (element.dataset.keyAction === "forget") {
      if (!window.confirm(`Forget ${name} in this browser? Without a saved file, it is lost.`)) return;
      await forget(purpose);
      say(`This browser no longer holds ${name}.`);
    } else if (element.dataset.keyAction === "import") {
      const file = element.files[0];
      if (!file) return;
      try {
        const entry = await readKeyFile(await file.text());
        await keep(purpose, entry);
        say(`Imported ${name} from ${file.name} (fingerprint ${await fingerprint(entry.publicHex)}).`);
      } finally {
        element.value = "";
      }
    }
    await showKeys();
  }

  // -- the acts ----------------------------------------------------------------------------------
  async function api(path, body) {
    const response = await fetch(`/api/rooms/${encodeURIComponent(page().dataset.room)}/${path}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": page().dataset.csrf },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const where = answer.field ? ` (${answer.field})` : "";
      throw new Error(`${answer.detail || response.statusText}${where}`);
    }
    return answer;
  }

  // The key an act is signed with: the party's root key, the person's signing key, or for a
  // ratification the root key when this browser holds the registered one.
  async function signerFor(form) {
    const party = page().dataset.party;
    const known = registered();
    let purpose = form.dataset.signer;
    if (purpose === "ratifier") {
      const root = await held("root");
      purpose = root && root.publicHex === known.root ? "root" : "signing";
    }
    let entry = await held(purpose);
    if (!entry && form.dataset.act === "party") {
      entry = await createKey("root");
      say(`A new root key was made in this browser for ${party}: save it to a file once it is registered.`);
    }
    if (!entry) {
      throw new Error(purpose === "root"
        ? `This browser does not hold ${party}'s root key: import it from its file (Your keys, above).`
        : "This browser holds no signing key of yours: register one in an office or a mandate, or import it from its file.");
    }
    if (purpose === "root" && known.root && entry.publicHex !== known.root) {
      throw new Error(`The root key in this browser is not ${party}'s registered root key: import the registered one from its file.`);
    }
    return { purpose, entry };
  }

  const localTime = (value) => {
    const moment = new Date(value);
    if (Number.isNaN(moment.getTime())) throw new Error("give a date and a time");
    return moment.toISOString();
  };

  // The fields of an act, from its form (a holder's key left empty: the person's own signing key).
  async function fieldsOf(form) {
    const data = new FormData(form);
    const text = (name) => String(data.get(name) || "").trim();
    const ownKey = async () => (await held("signing") || await createKey("signing")).publicHex;
    switch (form.dataset.act) {
      case "party":
        return {};  // the key is the signer's own: filled in below
      case "office":
        return { holder: text("holder"), role: text("role"), key: text("key") || await ownKey() };
      case "mandate":
        return {
          holder: text("holder"), key: text("key") || await ownKey(), powers: data.getAll("powers"),
          not_before: localTime(text("not_before")), not_after: localTime(text("not_after")),
          delegable: data.has("delegable"),
        };
      case "revocation":
        return { target: text("target"), reason: text("reason") };
      case "draft": {
        const fields = { title: text("title"), requires_ratification: data.has("requires_ratification") };
        if (!data.has("from_agreement")) {
          const clauses = Array.from(form.querySelectorAll("[data-clause]"), (element) => {
            const clause = { id: element.dataset.clause, text: element.querySelector("textarea").value.trim() };
            if (element.dataset.issue) Object.assign(clause, { issue: element.dataset.issue, option: element.dataset.option });
            return clause;
          });
          if (clauses.length) fields.clauses = clauses;
        }
        return fields;
      }
      case "signature":
        return { version: Number(text("version")) };
      case "ratification":
        return { version: Number(text("version")), instrument: text("instrument") };
      default:
        throw new Error(`unknown act ${form.dataset.act}`);
    }
  }

  async function summary(statement, keyName) {
    const short = (id) => id.slice(0, 12);
    const role = (name) => name.replace(/_/g, " ");
    switch (statement.type) {
      case "party":
        return `Register ${statement.party}'s root key (fingerprint ${await fingerprint(statement.key)}).`;
      case "office":
        return `Register ${statement.holder} in the office of ${role(statement.role)} of ${statement.party}, with the key of fingerprint ${await fingerprint(statement.key)}.`;
      case "mandate":
        return `Give ${statement.holder} (key ${await fingerprint(statement.key)}) the power to ${statement.powers.join(", ")} for ${statement.party}, from ${statement.not_before} until ${statement.not_after}${statement.delegable ? ", with the right to delegate it" : ""}.`;
      case "revocation":
        return `Revoke the act ${short(statement.target)}.`;
      case "draft":
        return `Version ${statement.version} of “${statement.title}”: ${statement.clauses.length} clauses, for ${statement.parties.join(", ")}; ${statement.requires_ratification ? "ratification required" : "no ratification required"}. Written by ${statement.editor.representative} for ${statement.editor.party}.`;
      case "signature":
        return `Sign version ${statement.version} of the text (${short(statement.text)}) for ${statement.party}, as ${statement.representative}.`;
      case "ratification":
        return `Ratify version ${statement.version} of the text (${short(statement.text)}) for ${statement.party}.`;
      default:
        return `A ${statement.type} statement, signed with ${keyName}.`;
    }
  }

  // Show the statement; resolves true once the person confirms, false if they cancel.
  function review(what, keyText, statement) {
    const dialog = document.getElementById("sign-dialog");
    document.getElementById("sign-dialog-what").textContent = what;
    document.getElementById("sign-dialog-key").textContent = keyText;
    document.getElementById("sign-dialog-statement").textContent = JSON.stringify(statement, null, 2);
    return new Promise((resolve) => {
      const confirm = document.getElementById("sign-confirm");
      const cancel = document.getElementById("sign-cancel");
      const done = (answer) => {
        confirm.removeEventListener("click", yes);
        cancel.removeEventListener("click", no);
        dialog.removeEventListener("cancel", no);
        dialog.close();
        resolve(answer);
      };
      const yes = () => done(true);
      const no = (event) => { event.preventDefault(); done(false); };
      confirm.addEventListener("click", yes);
      cancel.addEventListener("click", no);
      dialog.addEventListener("cancel", no);
      dialog.showModal();
      confirm.focus();
    });
  }

  let busy = false;
  async function act(form) {
    if (busy) return;
    busy = true;
    const button = form.querySelector("button[type=submit]");
    const returnTo = button && button.id;
    try {
      const { purpose, entry } = await signerFor(form);
      const fields = await fieldsOf(form);
      if (form.dataset.act === "party") fields.key = entry.publicHex;
      const prepared = await api("acts/prepare", { act: form.dataset.act, fields });
      const keyText = `${PURPOSES[purpose](page().dataset.party)} (fingerprint ${await fingerprint(entry.publicHex)})`;
      if (!await review(await summary(prepared.statement, keyText), keyText, prepared.statement)) {
        say("Not signed.");
        return;
      }
      const signature = await crypto.subtle.sign(ED25519, entry.privateKey, new TextEncoder().encode(prepared.canonical));
      const recorded = await api("acts", { statement: prepared.statement, signer: entry.publicHex, signature: hex(signature) });
      say(`Signed and recorded: event #${recorded.id}.`);
      for (const element of form.elements) edited.delete(element.id);
      missed = true;  // reload below, with what changed
    } catch (error) {
      say(`Not recorded: ${error.message}`, true);
    } finally {
      busy = false;
      if (missed) {
        missed = false;
        htmx.trigger(document.body, "treaty-changed");
      }
      await showKeys();
      const again = returnTo && document.getElementById(returnTo);
      if (again) again.focus();
    }
  }

  // The actions part reloads on the room's events, except while an act is under way; what
  // the person has typed or chosen in it is put back after every reload.
  const edited = new Map();  // element id -> value or checked state (or a <details>' open state)
  let missed = false;
  function idle() {
    const quiet = !busy && !document.getElementById("sign-dialog").open;
    missed = missed || !quiet;
    return quiet;
  }

  function remember(event) {
    const element = event.target;
    if (!element.id || element.type === "file") return;
    edited.set(element.id, element.type === "checkbox" ? element.checked
      : element.tagName === "DETAILS" ? element.open : element.value);
  }

  function restore(root) {
    for (const [id, value] of edited) {
      const element = root.querySelector(`#${CSS.escape(id)}`);
      if (!element) continue;
      if (element.type === "checkbox") element.checked = value;
      else if (element.tagName === "DETAILS") element.open = value;
      else element.value = value;
    }
  }

  function defaultTimes(root) {
    const local = (moment) => new Date(moment.getTime() - moment.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    const from = root.querySelector("#mandate-from");
    const until = root.querySelector("#mandate-until");
    if (from && !from.value) from.value = local(new Date(Date.now() - 5 * 60000));
    if (until && !until.value) until.value = local(new Date(Date.now() + 30 * 86400000));
  }

  window.ServandaSigning = { idle, readKeyFile, fingerprint };

  document.addEventListener("DOMContentLoaded", () => {
    if (!page()) return;
    if (!window.crypto || !crypto.subtle) {
      say("This browser cannot sign here (WebCrypto needs a secure context: HTTPS or localhost).", true);
      return;
    }
    defaultTimes(document);
    showKeys().catch((error) => say(`Cannot read the keys of this browser: ${error.message}`, true));
    document.addEventListener("submit", (event) => {
      const form = event.target.closest("form[data-act]");
      if (!form) return;
      event.preventDefault();
      act(form);
    });
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-key-action]");
      if (button) keyAction(button).catch((error) => say(error.message, true));
    });
    document.addEventListener("change", (event) => {
      if (event.target.matches("input[type=file][data-key-action]")) {
        keyAction(event.target).catch((error) => say(`Not imported: ${error.message}`, true));
      }
    });
    const actions = document.getElementById("treaty-actions");
    actions.addEventListener("input", remember);
    actions.addEventListener("change", remember);
    actions.addEventListener("toggle", remember, true);  // <details>: toggle does not bubble
    document.body.addEventListener("htmx:afterSettle", (event) => {
      if (event.target.id === "treaty-actions") {
        restore(event.target);
        defaultTimes(event.target);
        showKeys();
      }
    });
  });
})();
