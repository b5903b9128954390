// A small fediverse server built with Fedify (https://fedify.dev), for tests/interop_fedify.rs.
//
//   node server.mjs PORT [USERNAME]
//
// Serves one actor, @USERNAME@localhost:PORT (default `fedi`), at http://localhost:PORT, with the
// ordinary Fedify stack: WebFinger, actor document, inbox (personal and shared) whose listeners only
// run on verified signatures, outbox, followers, followed accounts accepted automatically. PORT 0
// picks a free port. When listening, prints one line on stdout: `ready http://localhost:PORT`.
//
// A control API under /control/ lets the Rust test drive it and read what happened:
//   POST /control/follow   {"handle": "user@host:port"}  WebFinger lookup, then a signed Follow
//   POST /control/publish  {"text": "..."}               a public Note, sent as Create to followers
//   POST /control/lookup   {"uri": "http://..."}         fetches an object (Fedify's lookupObject), described
//   POST /control/offer    {"actor": URL, "listing": URL} an FEP-0837 Offer(Agreement) of one unit of
//                                                          the listing, sent to the actor
//   POST /control/join     {"handle": "name@host:port", "message": "..."}  WebFinger lookup of a
//                                                          collective (a Group), then a signed Join
//                                                          with the message (Mobilizon's shape:
//                                                          no charter, it knows none)
//   GET  /control/received   activities the inbox listeners got, as Fedify parsed them
//   GET  /control/inbox      every POST to an inbox: its JSON, status answered, signature check and why
//   GET  /control/sent       every HTTP request this server made (deliveries and fetches)
//   GET  /control/state      following (with its state) and followers
//
// Test-only settings, on purpose: `allowPrivateAddress: true` (peers are on loopback), plain http, and
// outgoing `https://localhost:*` requests are sent as `http://` (a WebFinger lookup of an acct: URI
// always uses https, and loopback has no TLS: this stands in for the TLS proxy a real server has).
// Signatures are never skipped.

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

import { Temporal } from "@js-temporal/polyfill";
import { configure, getConsoleSink } from "@logtape/logtape";

const port = Number(process.argv[2] ?? "0");
const username = process.argv[3] ?? "fedi";
if (!Number.isInteger(port) || port < 0 || port > 65535 || !/^[a-z0-9_]+$/.test(username)) {
  console.error("usage: node server.mjs PORT [USERNAME]");
  process.exit(2);
}

// Everything the test may want to read back.
const state = {
  /** Actors followed by our account: id -> { handle, actor, inbox, followId, state }. */
  following: new Map(),
  /** Our followers: id -> { actor, inbox, sharedInbox, followId }. */
  followers: new Map(),
  /** Notes published by our account (Fedify objects). */
  notes: [],
  /** Activities the inbox listeners were given. */
  received: [],
  /** POSTs to an inbox: what was answered and whether the signature verified. */
  inbox: [],
  /** Outgoing HTTP requests. */
  sent: [],
  /** Errors reported by Fedify's inbox error handler. */
  errors: [],
};

// Every outgoing request goes through globalThis.fetch, which Fedify calls at request time: record
// each one (with the signature scheme it carried, so the test can tell which one the peer accepted).
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  let request = new Request(input, init);
  const url = new URL(request.url);
  if (url.protocol === "https:" && url.hostname === "localhost") {
    url.protocol = "http:";
    request = new Request(url, request);
  }
  const entry = {
    method: request.method,
    url: request.url,
    signature: signatureScheme(request.headers),
    keyId: signatureKeyId(request.headers),
    status: null,
    error: null,
  };
  state.sent.push(entry);
  try {
    const response = await realFetch(request);
    entry.status = response.status;
    return response;
  } catch (error) {
    entry.error = String(error?.cause ?? error);
    throw error;
  }
};

// Fedify's logs (signature failures name their reason) go to stderr, which the test shows on failure.
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: getConsoleSink({ console: { ...console, log: console.error, info: console.error, debug: console.error } }) },
  loggers: [
    { category: ["fedify"], sinks: ["stderr"], lowestLevel: "info" },
    { category: ["fedify", "sig"], sinks: ["stderr"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ],
});

// Imported after the fetch wrapper is installed.
const { createFederation, MemoryKvStore, generateCryptoKeyPair } = await import("@fedify/fedify");
const { verifyRequestDetailed } = await import("@fedify/fedify/sig");
const vocab = await import("@fedify/vocab");
const { Accept, Agreement, Commitment, Create, Endpoints, Follow, Join, Link, Measure, Note, Offer, Person, PUBLIC_COLLECTION, Reject, Undo } =
  vocab;
const { parseDecimal } = await import("@fedify/vocab-runtime");

/** The inbox request being handled, for the listeners (no queue: they run inside the request). */
const currentInboxRequest = new AsyncLocalStorage();

const keyPairs = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];

// The real port is known once listening (PORT may be 0); the federation is built then.
const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error("request failed:", error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error));
  });
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
const origin = `http://localhost:${server.address().port}`;

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== username) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify interop account",
      summary: "A Fedify actor that Maillage's interoperability test federates with.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: false,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === username ? keyPairs : []));

federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (ctx, values) => {
  if (values.identifier !== username) return null;
  const id = ctx.getObjectUri(Note, values).href;
  return state.notes.find((note) => note.id.href === id) ?? null;
});

federation.setOutboxDispatcher("/users/{identifier}/outbox", (ctx, identifier) => {
  if (identifier !== username) return null;
  const items = state.notes.map(
    (note) => new Create({ id: new URL(`${note.id.href}#create`), actor: ctx.getActorUri(identifier), object: note }),
  );
  return { items: items.reverse() };
});

federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
  if (identifier !== username) return null;
  return {
    items: [...state.followers.values()].map((f) => ({
      id: new URL(f.actor),
      inboxId: new URL(f.inbox),
      endpoints: f.sharedInbox ? { sharedInbox: new URL(f.sharedInbox) } : null,
    })),
  };
});

federation.setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
  if (identifier !== username) return null;
  const accepted = [...state.following.values()].filter((f) => f.state === "accepted");
  return { items: accepted.map((f) => new URL(f.actor)) };
});

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    const entry = record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(username).href) {
      entry.note = "not a follow of our account: ignored";
      return;
    }
    const follower = await follow.getActor(ctx);
    if (follower?.id == null || follower.inboxId == null) {
      entry.note = "the follower's actor could not be fetched";
      return;
    }
    entry.actorClass = className(follower);
    state.followers.set(follower.id.href, {
      actor: follower.id.href,
      inbox: follower.inboxId.href,
      sharedInbox: follower.endpoints?.sharedInbox?.href ?? null,
      followId: follow.id?.href ?? null,
    });
    const accept = new Accept({
      id: new URL(`/users/${username}/accepts/${randomUUID()}`, origin),
      actor: ctx.getActorUri(username),
      object: follow,
    });
    // Sent after the Follow is answered, as a server with a queue would.
    entry.note = "accepting";
    ctx.sendActivity({ identifier: username }, follower, accept).then(
      () => (entry.note = "accepted"),
      (error) => (entry.note = `the Accept was not delivered: ${error}`),
    );
  })
  .on(Accept, async (ctx, accept) => {
    const entry = record(ctx, accept);
    const result = await accept.getResult(ctx).catch(() => null);
    if (result != null) entry.result = { class: className(result), id: result.id?.href ?? null };
    if (result instanceof Agreement) {
      const commitment = result.stipulates;
      entry.result.satisfies = commitment?.satisfiesId?.href ?? commitment?.satisfies?.href ?? null;
      entry.result.commitmentId = commitment?.id?.href ?? null;
    }
    const followed = followFor(accept);
    if (followed != null && accept.actorId?.href === followed.actor) {
      followed.state = "accepted";
      entry.note = `follow of ${followed.actor} accepted`;
    } else {
      entry.note = "matches no follow we sent";
    }
  })
  .on(Reject, (ctx, reject) => {
    const entry = record(ctx, reject);
    const followed = followFor(reject);
    if (followed != null && reject.actorId?.href === followed.actor) followed.state = "rejected";
    entry.note = followed ? `follow of ${followed.actor} rejected` : "matches no follow we sent";
  })
  .on(Create, async (ctx, create) => {
    const entry = record(ctx, create);
    try {
      const object = await create.getObject(ctx);
      entry.object = object == null ? null : describe(object);
    } catch (error) {
      entry.object = { error: String(error) };
    }
  })
  .on(Undo, async (ctx, undo) => {
    const entry = record(ctx, undo);
    const object = await undo.getObject(ctx).catch(() => null);
    if (object instanceof Follow && undo.actorId != null) {
      state.followers.delete(undo.actorId.href);
      entry.note = "unfollowed";
    }
  })
  .on(vocab.Activity, (ctx, activity) => {
    record(ctx, activity);
  })
  .onError((_ctx, error) => {
    console.error("inbox error:", error);
    state.errors.push(String(error?.stack ?? error));
  });

/** Records an activity the inbox accepted, with the signature check of its request. */
function record(ctx, activity) {
  const request = currentInboxRequest.getStore();
  const entry = {
    type: className(activity),
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectId: activity.objectId?.href ?? null,
    inbox: ctx.recipient == null ? "shared" : `personal:${ctx.recipient}`,
    // Fedify runs listeners only for verified activities (signature verification is not skipped).
    verified: true,
    signature: request?.signature ?? null,
    keyId: request?.keyId ?? null,
  };
  state.received.push(entry);
  return entry;
}

/** What a reader needs to display an object, read from Fedify's parsed object (not the raw JSON). */
function describe(object) {
  const text = (value) => (value == null ? null : value.toString());
  const url = object.url instanceof Link ? object.url.href?.href : object.url?.href;
  const described = {
    class: className(object),
    typeId: object.constructor.typeId?.href ?? null,
    // What a reader that shows notes (`object instanceof Note`) decides: Fedify builds one class per
    // object, the first of its known types in its own order, so ["Proposal", "Note"] is a Proposal.
    isNote: object instanceof Note,
    id: object.id?.href ?? null,
    name: text(object.name ?? object.names?.[0]),
    summary: text(object.summary),
    content: text(object.content ?? object.contents?.[0]),
    mediaType: object.mediaType ?? null,
    url: url ?? null,
    published: object.published?.toString() ?? null,
    attributedTo: object.attributionId?.href ?? null,
    to: object.toIds?.map((id) => id.href) ?? [],
    cc: object.ccIds?.map((id) => id.href) ?? [],
  };
  if (object instanceof vocab.Proposal) {
    described.proposal = {
      purpose: object.purpose,
      publishes: describeIntent(object.publishes),
      reciprocal: describeIntent(object.reciprocal),
    };
  }
  return described;
}

/** An FEP-0837 intent as Fedify read it: what is done, to what kind of resource, how much. */
function describeIntent(intent) {
  if (intent == null) return null;
  const measure = (m) => (m == null ? null : { unit: m.unit, value: m.numericalValue?.toString() ?? null });
  return {
    action: intent.action,
    resourceConformsTo: intent.resourceConformsTo?.href ?? null,
    resourceQuantity: measure(intent.resourceQuantity),
    availableQuantity: measure(intent.availableQuantity),
  };
}

/** The class name of a Fedify object (the last part of its type IRI: `Note`, `Proposal`, `Object`). */
function className(object) {
  const typeId = object.constructor.typeId?.href;
  return typeId ? typeId.split(/[#/]/).pop() : object.constructor.name;
}

/** The follow we sent that an Accept or Reject answers. */
function followFor(answer) {
  const followId = answer.objectId?.href;
  return [...state.following.values()].find((f) => f.followId === followId) ?? null;
}

function signatureScheme(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.get("signature")?.includes("keyId=")) return "draft-cavage";
  return null;
}

function signatureKeyId(headers) {
  const cavage = headers.get("signature")?.match(/keyId="([^"]*)"/);
  if (cavage) return cavage[1];
  return headers.get("signature-input")?.match(/keyid="([^"]*)"/)?.[1] ?? null;
}

const INBOX_PATH = new RegExp(`^/(inbox|users/${username}/inbox)$`);

async function handle(req, res) {
  const url = new URL(req.url, origin);
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length > 0 ? Buffer.concat(chunks) : null;

  if (url.pathname.startsWith("/control/")) {
    const [status, json] = await control(req.method, url.pathname, body);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(json, null, 1));
    return;
  }

  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  // The request as the peer addressed it (Host: localhost:PORT), which its signature covers.
  const requestUrl = new URL(req.url, `http://${req.headers.host ?? new URL(origin).host}`);
  const request = new Request(requestUrl, { method: req.method, headers, body: req.method === "GET" ? null : body });

  let response;
  if (req.method === "POST" && INBOX_PATH.test(url.pathname)) {
    const ctx = federation.createContext(new URL(origin));
    const check = await verifyRequestDetailed(request.clone(), {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    });
    const entry = {
      path: url.pathname,
      signature: signatureScheme(request.headers),
      keyId: signatureKeyId(request.headers),
      verified: check.verified,
      reason: check.verified ? null : describeFailure(check.reason),
      activityType: activityType(body),
      status: null,
      answer: null,
      // The JSON as received, to see what Fedify parsed (or refused).
      activity: parseJson(body),
    };
    state.inbox.push(entry);
    response = await currentInboxRequest.run(entry, () => federation.fetch(request, { contextData: undefined }));
    entry.status = response.status;
    if (response.status >= 300) entry.answer = (await response.clone().text()).slice(0, 500);
  } else {
    response = await federation.fetch(request, { contextData: undefined });
  }
  const responseHeaders = {};
  response.headers.forEach((value, name) => (responseHeaders[name] = value));
  res.writeHead(response.status, responseHeaders);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function describeFailure(reason) {
  switch (reason.type) {
    case "keyFetchError":
      return `the key ${reason.keyId.href} could not be fetched: ${JSON.stringify(reason.result)}`;
    case "invalidSignature":
      return `invalid signature${reason.keyId ? ` (key ${reason.keyId.href})` : ""}`;
    default:
      return reason.type;
  }
}

function activityType(body) {
  return parseJson(body)?.type ?? null;
}

function parseJson(body) {
  try {
    return JSON.parse(body.toString());
  } catch {
    return null;
  }
}

async function control(method, path, body) {
  const input = body == null ? {} : JSON.parse(body.toString());
  const ctx = federation.createContext(new URL(origin));
  const route = `${method} ${path}`;
  if (route === "GET /control/received") return [200, { items: state.received }];
  if (route === "GET /control/inbox") return [200, { items: state.inbox }];
  if (route === "GET /control/sent") return [200, { items: state.sent }];
  if (route === "GET /control/state") {
    return [200, { following: [...state.following.values()], followers: [...state.followers.values()] }];
  }
  if (route === "POST /control/follow") return await follow(ctx, String(input.handle ?? ""));
  if (route === "POST /control/publish") return await publish(ctx, String(input.text ?? ""));
  if (route === "POST /control/lookup") return await lookup(ctx, String(input.uri ?? ""));
  if (route === "POST /control/offer") return await offer(ctx, String(input.actor ?? ""), String(input.listing ?? ""));
  if (route === "POST /control/join") return await join(ctx, String(input.handle ?? ""), String(input.message ?? ""));
  return [404, { error: `no control route ${route}` }];
}

/** Looks the account up by WebFinger (Fedify's own lookup) and sends it a Follow. */
async function follow(ctx, handle) {
  const acct = `acct:${handle.replace(/^@/, "")}`;
  let actor;
  try {
    actor = await ctx.lookupObject(acct);
  } catch (error) {
    return [502, { error: `looking up ${acct} failed: ${error}` }];
  }
  if (actor == null || !vocab.isActor(actor)) {
    return [502, { error: `${acct} did not resolve to an actor (got ${actor ? className(actor) : "nothing"})` }];
  }
  const followId = new URL(`/users/${username}/follows/${randomUUID()}`, origin);
  const entry = {
    handle,
    actor: actor.id.href,
    actorClass: className(actor),
    inbox: actor.inboxId?.href ?? null,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    followId: followId.href,
    state: "requested",
  };
  state.following.set(actor.id.href, entry);
  try {
    await ctx.sendActivity(
      { identifier: username },
      actor,
      new Follow({ id: followId, actor: ctx.getActorUri(username), object: actor.id }),
    );
  } catch (error) {
    entry.state = "not delivered";
    return [502, { error: `delivering the Follow failed: ${error}`, ...entry }];
  }
  return [200, entry];
}

/** Looks a collective up by WebFinger (Fedify's own lookup) and sends it a Join with a message. */
async function join(ctx, handle, message) {
  const acct = `acct:${handle.replace(/^[!@]/, "")}`;
  let group;
  try {
    group = await ctx.lookupObject(acct);
  } catch (error) {
    return [502, { error: `looking up ${acct} failed: ${error}` }];
  }
  if (group == null || !vocab.isActor(group)) {
    return [502, { error: `${acct} did not resolve to an actor (got ${group ? className(group) : "nothing"})` }];
  }
  const id = new URL(`/users/${username}/joins/${randomUUID()}`, origin);
  const activity = new Join({ id, actor: ctx.getActorUri(username), object: group.id, to: group.id, content: message });
  try {
    await ctx.sendActivity({ identifier: username }, group, activity);
  } catch (error) {
    return [502, { error: `delivering the Join failed: ${error}` }];
  }
  return [200, { joinId: id.href, groupClass: className(group), group: group.id.href }];
}

/** Sends an FEP-0837 Offer(Agreement) of one unit of a listing to its author, as Fedify's vocabulary
 * builds it: the agreement has no id (the answer gives one), its commitment satisfies the
 * listing's primary intent. */
async function offer(ctx, actorUri, listing) {
  let actor;
  try {
    actor = await ctx.lookupObject(actorUri);
  } catch (error) {
    return [502, { error: `looking up ${actorUri} failed: ${error}` }];
  }
  if (actor == null || !vocab.isActor(actor)) return [502, { error: `${actorUri} is not an actor` }];
  const id = new URL(`/users/${username}/offers/${randomUUID()}`, origin);
  const activity = new Offer({
    id,
    actor: ctx.getActorUri(username),
    to: actor.id,
    object: new Agreement({
      stipulates: new Commitment({
        satisfies: new URL(`${listing}#primary`),
        resourceQuantity: new Measure({ unit: "one", numericalValue: parseDecimal("1") }),
      }),
    }),
  });
  try {
    await ctx.sendActivity({ identifier: username }, actor, activity);
  } catch (error) {
    return [502, { error: `delivering the Offer failed: ${error}` }];
  }
  return [200, { offerId: id.href, json: await activity.toJsonLd({ contextLoader: ctx.contextLoader }) }];
}

/** Fetches an object by its URI the way a Fedify reader does (`lookupObject`) and describes it. */
async function lookup(ctx, uri) {
  let object;
  try {
    object = await ctx.lookupObject(uri);
  } catch (error) {
    return [502, { error: `looking up ${uri} failed: ${error}` }];
  }
  if (object == null) return [404, { error: `${uri} gave no object Fedify could read` }];
  return [200, describe(object)];
}

/** Publishes a public Note and sends it as Create to every follower. */
async function publish(ctx, text) {
  if (text === "") return [400, { error: "text is empty" }];
  const followers = [...state.followers.values()];
  if (followers.length === 0) return [409, { error: "no followers to deliver to" }];
  const id = randomUUID();
  const note = new Note({
    id: ctx.getObjectUri(Note, { identifier: username, id }),
    attribution: ctx.getActorUri(username),
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri(username),
    content: `<p>${escapeHtml(text)}</p>`,
    mediaType: "text/html",
    url: ctx.getObjectUri(Note, { identifier: username, id }),
    published: Temporal.Now.instant(),
  });
  state.notes.push(note);
  const create = new Create({
    id: new URL(`${note.id.href}#create`),
    actor: ctx.getActorUri(username),
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri(username),
    object: note,
    published: note.published,
  });
  const firstSent = state.sent.length;
  let error = null;
  try {
    await ctx.sendActivity({ identifier: username }, "followers", create, { preferSharedInbox: true });
  } catch (e) {
    error = String(e);
  }
  const deliveries = state.sent.slice(firstSent).filter((r) => r.method === "POST");
  return [error ? 502 : 200, { note: note.id.href, create: create.id.href, deliveries, error }];
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));

console.log(`ready ${origin}`);
