"""A small fediverse server whose HTTP signatures are made and checked by bovine (PyPI), for
tests/interop_bovine.rs.

    .venv/bin/python server.py [PORT [USERNAME]]

Serves one actor, @USERNAME@localhost:PORT (default `bovine`), at http://localhost:PORT, on aiohttp
(which bovine's own clients use): WebFinger, a `Person` built by `bovine.activitystreams.Actor` with
an RSA key made by `bovine.crypto.generate_rsa_public_private_key`, an inbox and a shared inbox,
empty outbox and follower collections. PORT 0 (the default) picks a free port. When listening,
prints one line on stdout: `ready http://localhost:PORT`.

Every POST to an inbox, and every GET that carries a signature, is checked with bovine's verifier
(`bovine.crypto.build_validate_http_signature_raw`, which checks the Digest of a POST, the date and
the draft-cavage signature), the key being the `publicKey` of the key's actor, fetched with a plain
GET and read by `CryptographicIdentifier.from_public_key`; for a POST, the key's owner must also be
the activity's `actor`. An inbox answers 202 when the check passes and 401 (with what bovine logged)
when it does not. A verified activity is parsed with `bovine.parse.Activity` (a `Create`'s object
with `Activity.object_for_create`). A verified `Follow` is accepted: an `Accept` made by
`bovine.activitystreams.activity_factory.ActivityFactory`, sent with `bovine.clients.signed_http.
SignedHttpClient`, as everything this server signs.

bovine's JSON-LD processing loads contexts through pyld. This server never goes to the network for
one: it serves the contexts bovine has built in (`about:bovine`, ActivityStreams), and for any other
it gives what bovine itself falls back to when a context cannot be loaded (an empty one), noting
its URL. bovine's context cache, a SQLite file it opens in the working directory on import, is
replaced by one in memory.

A control API under /_test/ lets the Rust test drive the server and read what happened:
  POST /_test/follow {"actor": URL}      fetches the actor, sends it a signed Follow
  POST /_test/fetch  {"url": URL}        a GET signed by our actor, as a server in
                                         authorized-fetch mode expects
  GET  /_test/received                   every inbox POST and signed GET, with bovine's verdict
  GET  /_test/sent                       every signed request this server made, with the answer
  GET  /_test/contexts                   the JSON-LD contexts bovine asked for and was given empty

Test-only, on purpose: plain http on loopback, no persistence. Signatures are never skipped.
"""

import asyncio
import contextvars
import json
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import traceback
import urllib.parse
import uuid

# bovine.jsonld opens its context cache, bovine_jsonld_cache.sqlite, in the working directory when it
# is imported: import it from a directory of our own, removed right after.
_cwd = os.getcwd()
_scratch = tempfile.mkdtemp(prefix="bovine-interop-")
os.chdir(_scratch)
try:
    from importlib.metadata import version

    import aiohttp
    import bovine.jsonld
    from aiohttp import web
    from bovine.activitystreams import Actor
    from bovine.activitystreams.activity_factory import ActivityFactory
    from bovine.clients.signed_http import SignedHttpClient
    from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
    from bovine.crypto.types import CryptographicIdentifier
    from bovine.jsonld.cache import JsonLDCache
    from bovine.parse import Activity
    from bovine.types import Visibility
    from pyld import jsonld
except ImportError as error:
    print(
        f"server.py: {error}: bovine is not installed for {sys.executable}; "
        "run `bash tests/interop/bovine/install.sh`",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(3)
finally:
    os.chdir(_cwd)

bovine.jsonld.jsonld_cache.connection.close()
bovine.jsonld.jsonld_cache = JsonLDCache(":memory:")
shutil.rmtree(_scratch, ignore_errors=True)

BOVINE_VERSION = version("bovine")
ACTIVITY_JSON = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_BODY = 1024 * 1024


def log(message):
    print(f"bovine server: {message}", file=sys.stderr, flush=True)


# --- offline JSON-LD contexts ----------------------------------------------------------------------

STUBBED_CONTEXTS = set()
BUILT_IN_CONTEXTS = {"about:bovine", AS_CONTEXT}


def offline_document_loader(url, options=None, **kwargs):
    """bovine's own loader for the contexts it has built in; for any other, bovine's fallback for a
    context it could not load (an empty one), without trying the network."""
    if url in BUILT_IN_CONTEXTS:
        return bovine.jsonld.wrapper_with_context(url, options or {}, **kwargs)
    STUBBED_CONTEXTS.add(url)
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": {"@context": []}}


jsonld.set_document_loader(offline_document_loader)


# --- what bovine logs while it verifies -------------------------------------------------------------

_bovine_log = contextvars.ContextVar("bovine_log", default=None)


class Collect(logging.Handler):
    """Appends what bovine logs to the list of the request being verified (bovine's verifier answers
    None when it refuses, and says why only in its log)."""

    def emit(self, record):
        lines = _bovine_log.get()
        if lines is not None:
            lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


logging.getLogger("bovine").addHandler(Collect(level=logging.DEBUG))
logging.getLogger("bovine").setLevel(logging.DEBUG)
logging.getLogger("bovine").propagate = False


class Account:
    """Our one actor: its URLs, its key, and everything the test may want to read back."""

    def __init__(self, origin, username):
        self.origin = origin
        self.username = username
        self.id = f"{origin}/users/{username}"
        self.key_id = f"{self.id}#main-key"
        self.inbox = f"{self.id}/inbox"
        self.shared_inbox = f"{origin}/inbox"
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.actor = Actor(
            id=self.id,
            type="Person",
            name="bovine interop account",
            preferred_username=username,
            inbox=self.inbox,
            outbox=f"{self.id}/outbox",
            followers=f"{self.id}/followers",
            following=f"{self.id}/following",
            summary="An account whose signatures bovine makes and checks.",
            url=self.id,
            public_key=self.public_pem,
            public_key_name="main-key",
            properties={"endpoints": {"sharedInbox": self.shared_inbox}, "manuallyApprovesFollowers": False},
        )
        self.factory = ActivityFactory(self.document(), id_generator=lambda: f"{self.id}/activities/{uuid.uuid4()}")
        self.validate = build_validate_http_signature_raw(self.retrieve_key)
        self.session = None
        self.client = None
        self.received = []
        self.sent = []

    async def open(self):
        self.session = aiohttp.ClientSession(timeout=TIMEOUT)
        self.client = SignedHttpClient(self.session, self.key_id, self.private_pem)

    def document(self):
        return self.actor.build(visibility=Visibility.OWNER)

    def webfinger(self, resource):
        host = urllib.parse.urlsplit(self.origin).netloc
        if resource not in (f"acct:{self.username}@{host}", self.id):
            return None
        return {
            "subject": f"acct:{self.username}@{host}",
            "aliases": [self.id],
            "links": [
                {"rel": "self", "type": ACTIVITY_JSON, "href": self.id},
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": self.id},
            ],
        }

    # --- what bovine signs ------------------------------------------------------------------------

    async def signed(self, method, url, body=None):
        """Sends a request signed by bovine's SignedHttpClient (`rsa-sha256`; a GET over
        `(request-target) host date accept`, a POST over `(request-target) host date digest
        content-type`) and records it."""
        entry = {"method": method, "url": url, "signature": None, "status": None, "body": None}
        try:
            if method == "GET":
                response = await self.client.get(url)
            else:
                response = await self.client.post(url, body, content_type=ACTIVITY_JSON)
            async with response:
                entry["signature"] = response.request_info.headers.get("signature")
                entry["headers"] = dict(response.request_info.headers)
                entry["status"] = response.status
                entry["body"] = (await response.content.read(MAX_BODY)).decode("utf-8", "replace")[:65536]
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            entry["status"], entry["body"] = 0, f"{type(error).__name__}: {error}"
        self.sent.append(entry)
        return entry["status"], entry["body"]

    async def deliver(self, inbox, activity):
        status, text = await self.signed("POST", inbox, json.dumps(activity))
        log(f"{activity['type']} to {inbox}: {status} {text[:300]}")
        return status, text

    async def follow(self, actor_url):
        status, text = await plain_get(self.session, actor_url)
        if status != 200:
            return {"error": f"GET {actor_url} answered {status}: {text[:500]}"}
        actor = json.loads(text)
        follow = self.factory.follow(actor["id"]).build()
        status, text = await self.deliver(actor["inbox"], follow)
        return {"id": follow["id"], "activity": follow, "inbox": actor["inbox"], "status": status, "body": text[:2000]}

    async def accept(self, follow, follower):
        await self.deliver(follower["inbox"], self.factory.accept(follow).build())

    # --- what bovine checks -----------------------------------------------------------------------

    async def retrieve_key(self, key_id):
        """bovine's key_retriever: the key's actor with a plain GET, its `publicKey` read by
        `CryptographicIdentifier.from_public_key`, as bovine's documentation shows."""
        actor_url = key_id.split("#", 1)[0]
        status, text = await plain_get(self.session, actor_url)
        if status != 200:
            logging.getLogger("bovine.interop").warning(f"GET {actor_url} answered {status}: {text[:300]}")
            return None
        data = json.loads(text)
        key = data.get("publicKey", data)
        if key.get("id") != key_id:
            logging.getLogger("bovine.interop").warning(f"{actor_url}'s key is {key.get('id')}, not {key_id}")
            return None
        return CryptographicIdentifier.from_public_key(key)

    async def verify(self, method, path, headers, body, activity=None):
        """bovine's verdict on a request: `(key_id, owner, None)` when its signature verifies,
        `(key_id, owner, reason)` when not."""
        signature = headers.get("signature")
        key_id = signature_param(headers, "keyId")
        if not signature:
            return None, None, "no Signature header"
        lines = []
        token = _bovine_log.set(lines)
        try:
            owner = await self.validate(method, f"{self.origin}{path}", headers, lambda: as_coroutine(body))
        except Exception as error:  # the verifier catches most of its errors and logs them
            return key_id, None, f"{type(error).__name__}: {error}; {lines}"
        finally:
            _bovine_log.reset(token)
        if owner is None:
            why = lines or "the RSA signature does not verify (bovine logs nothing then)"
            return key_id, None, f"bovine's verifier returned no owner: {why}"
        if activity is not None and activity.get("actor") != owner:
            return key_id, owner, f"signed by {owner}, not by the activity's actor {activity.get('actor')}"
        return key_id, owner, None

    async def parse(self, activity):
        """What bovine.parse makes of a verified activity (its JSON-LD compacted to about:bovine)."""
        try:
            parsed = Activity(activity)
            result = {"type": parsed.data.get("type"), "actor": parsed.actor_id, "objectId": parsed.object_id}
            if parsed.is_create:
                obj = await parsed.object_for_create(self.fetch_object)
                if obj is not None:
                    result["object"] = {
                        "id": obj.identifier,
                        "type": obj.data.get("type"),
                        "name": obj.data.get("name"),
                        "content": obj.data.get("content"),
                        "url": obj.data.get("url"),
                        "attributedTo": obj.attributed_to_id,
                    }
            if parsed.is_accept:
                follow = await parsed.accept_for_follow(self.fetch_object)
                result["acceptedFollow"] = follow.data.get("id") if follow is not None else None
            return result
        except Exception as error:
            return {"error": f"{type(error).__name__}: {error}"}

    async def fetch_object(self, object_id):
        status, text = await plain_get(self.session, object_id)
        return json.loads(text) if status == 200 else None


async def as_coroutine(value):
    return value


async def plain_get(session, url):
    """Status and text of an unsigned GET; network failures come back as status 0 with the reason."""
    try:
        async with session.get(url, headers={"accept": ACTIVITY_JSON}) as response:
            return response.status, (await response.content.read(MAX_BODY)).decode("utf-8", "replace")
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
        return 0, f"{type(error).__name__}: {error}"


def urlpath(url):
    return urllib.parse.urlsplit(url).path


def signature_param(headers, name):
    match = re.search(rf'{name}="([^"]*)"', headers.get("signature") or "")
    return match.group(1) if match else None


def id_of(value):
    return value.get("id") if isinstance(value, dict) else value


def answer(status, value, content_type="application/json"):
    return web.Response(status=status, text=json.dumps(value, indent=1), content_type=content_type)


def make_app(account):
    background = set()

    async def on_get(request):
        path = request.path
        headers = {name.lower(): value for name, value in request.headers.items()}
        if "signature" in headers:
            key_id, owner, error = await account.verify("GET", path, headers, b"")
            account.received.append(
                {
                    "method": "GET",
                    "path": path,
                    "keyId": key_id,
                    "owner": owner,
                    "algorithm": signature_param(headers, "algorithm"),
                    "signedHeaders": signature_param(headers, "headers"),
                    "verified": error is None,
                    "error": error,
                }
            )
            if error:
                log(f"GET {path}: {error}")
        if path == "/.well-known/webfinger":
            document = account.webfinger(request.query.get("resource", ""))
            if document is None:
                return answer(404, {"error": f"no account {request.query.get('resource')}"})
            return answer(200, document, "application/jrd+json")
        if path == urlpath(account.id):
            return answer(200, account.document(), ACTIVITY_JSON)
        for collection in ("outbox", "followers", "following"):
            if path == urlpath(f"{account.id}/{collection}"):
                document = {
                    "@context": AS_CONTEXT,
                    "id": f"{account.id}/{collection}",
                    "type": "OrderedCollection",
                    "totalItems": 0,
                    "orderedItems": [],
                }
                return answer(200, document, ACTIVITY_JSON)
        if path == "/_test/received":
            return answer(200, {"items": account.received})
        if path == "/_test/sent":
            return answer(200, {"items": account.sent})
        if path == "/_test/contexts":
            return answer(200, {"stubbed": sorted(STUBBED_CONTEXTS)})
        return answer(404, {"error": f"nothing at {path}"})

    async def on_post(request):
        path = request.path
        body = await request.content.read(MAX_BODY)
        if path in (urlpath(account.inbox), urlpath(account.shared_inbox)):
            return await inbox(request, path, body)
        try:
            command = json.loads(body or b"{}")
        except ValueError as error:
            return answer(400, {"error": f"not JSON: {error}"})
        if path == "/_test/follow":
            return answer(200, await account.follow(command["actor"]))
        if path == "/_test/fetch":
            status, text = await account.signed("GET", command["url"])
            return answer(200, {"status": status, "body": text[:65536]})
        return answer(404, {"error": f"nothing at {path}"})

    async def inbox(request, path, body):
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            activity = json.loads(body)
        except ValueError as error:
            activity, parse_error = None, f"the body is not JSON: {error}"
        else:
            parse_error = None if isinstance(activity, dict) else "the body is not a JSON object"
        if parse_error:
            key_id, owner, error = signature_param(headers, "keyId"), None, parse_error
        else:
            key_id, owner, error = await account.verify("POST", path, headers, body, activity)
        activity = activity if isinstance(activity, dict) else {}
        status = 202 if error is None else 401
        obj = activity.get("object")
        entry = {
            "method": "POST",
            "path": path,
            "keyId": key_id,
            "owner": owner,
            "algorithm": signature_param(headers, "algorithm"),
            "signedHeaders": signature_param(headers, "headers"),
            "digest": headers.get("digest"),
            "verified": error is None,
            "error": error,
            "status": status,
            "id": activity.get("id"),
            "type": activity.get("type"),
            "actor": id_of(activity.get("actor")),
            "objectId": id_of(obj),
            "object": obj,
        }
        if error is None:
            entry["parsed"] = await account.parse(activity)
        account.received.append(entry)
        if error:
            log(f"POST {path}: {error}")
            return answer(401, {"error": error})
        if activity.get("type") == "Follow" and id_of(obj) == account.id:
            status, text = await plain_get(account.session, owner)
            if status == 200:
                task = asyncio.get_running_loop().create_task(account.accept(activity, json.loads(text)))
                background.add(task)
                task.add_done_callback(background.discard)
        return answer(202, {"verified": key_id})

    @web.middleware
    async def guard(request, handler):
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log(traceback.format_exc())
            return answer(500, {"error": "server.py failed: see its log"})

    app = web.Application(middlewares=[guard], client_max_size=MAX_BODY)
    app.router.add_route("GET", "/{tail:.*}", on_get)
    app.router.add_route("POST", "/{tail:.*}", on_post)
    return app


async def serve(port, username):
    # The account needs the origin, and the port is known once bound: bind first.
    server_socket = socket.socket()
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(("127.0.0.1", port))
    origin = f"http://localhost:{server_socket.getsockname()[1]}"
    account = Account(origin, username)
    await account.open()
    runner = web.AppRunner(make_app(account), access_log=None)
    await runner.setup()
    site = web.SockSite(runner, server_socket)
    await site.start()
    log(f"bovine {BOVINE_VERSION} on Python {sys.version.split()[0]}, account {account.id}")
    print(f"ready {origin}", flush=True)
    await asyncio.Event().wait()


def main():
    args = sys.argv[1:]
    port = int(args[0]) if args else 0
    username = args[1] if len(args) > 1 else "bovine"
    if not 0 <= port <= 65535 or not re.fullmatch(r"[a-z0-9_]+", username):
        print("usage: server.py [PORT [USERNAME]]", file=sys.stderr)
        sys.exit(2)
    asyncio.run(serve(port, username))


if __name__ == "__main__":
    main()
