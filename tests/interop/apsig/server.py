"""A small fediverse server whose HTTP signatures are made and checked by apsig (PyPI), for
tests/interop_apsig.rs.

    .venv/bin/python server.py [PORT [USERNAME]]

Serves one actor, @USERNAME@localhost:PORT (default `apsig`), at http://localhost:PORT: WebFinger,
a `Person` with an RSA key made at start, an inbox and a shared inbox, empty outbox and follower
collections. PORT 0 (the default) picks a free port. When listening, prints one line on stdout:
`ready http://localhost:PORT`.

Every POST to an inbox, and every GET that carries a signature, is checked with
`apsig.draft.verify.Verifier` against the `publicKeyPem` of the key's actor, fetched with a plain GET;
for a POST, that actor must also be the activity's `actor`. An inbox answers 202 when the check
passes and 401 (naming the reason) when it does not. A verified `Follow` is accepted: an `Accept`
signed with `apsig.draft.sign.Signer` goes to the follower's inbox.

A control API under /_test/ lets the Rust test drive the server and read what happened:
  POST /_test/follow {"actor": URL}      fetches the actor, sends it a signed Follow
  POST /_test/fetch  {"url": URL}        a GET signed by our actor, as a server in
                                         authorized-fetch mode expects
  GET  /_test/received                   every inbox POST and signed GET, with apsig's verdict
  GET  /_test/sent                       every signed request this server made, with the answer

Test-only, on purpose: plain http on loopback, no persistence. Signatures are never skipped.
"""

import json
import re
import sys
import threading
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from apsig import __version__ as APSIG_VERSION
    from apsig.draft.sign import Signer
    from apsig.draft.verify import Verifier
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError as error:
    print(
        f"server.py: {error}: apsig is not installed for {sys.executable}; "
        "run `bash tests/interop/apsig/install.sh`",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(3)

ACTIVITY_JSON = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
TIMEOUT_SECONDS = 10
MAX_BODY = 1024 * 1024


def log(message):
    print(f"apsig server: {message}", file=sys.stderr, flush=True)


class Account:
    """Our one actor: its URLs, its key, and everything the test may want to read back."""

    def __init__(self, origin, username):
        self.origin = origin
        self.username = username
        self.id = f"{origin}/users/{username}"
        self.key_id = f"{self.id}#main-key"
        self.inbox = f"{self.id}/inbox"
        self.shared_inbox = f"{origin}/inbox"
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )
        self.lock = threading.Lock()
        self.received = []
        self.sent = []

    def document(self):
        return {
            "@context": [AS_CONTEXT, SECURITY_CONTEXT],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.username,
            "name": "apsig interop account",
            "summary": "An account whose signatures apsig makes and checks.",
            "url": self.id,
            "inbox": self.inbox,
            "outbox": f"{self.id}/outbox",
            "followers": f"{self.id}/followers",
            "following": f"{self.id}/following",
            "endpoints": {"sharedInbox": self.shared_inbox},
            "manuallyApprovesFollowers": False,
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": self.public_pem},
        }

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

    def record(self, kind, entry):
        with self.lock:
            getattr(self, kind).append(entry)

    def snapshot(self, kind):
        with self.lock:
            return list(getattr(self, kind))

    # --- what apsig signs -------------------------------------------------------------------------

    def signed_request(self, method, url, body=None, content_type=None):
        """Sends a request signed with apsig's draft-cavage Signer (`rsa-sha256` over
        `(request-target) date host`, and `digest` when there is a body) and records it."""
        headers = {"accept": ACTIVITY_JSON}
        if content_type:
            headers["content-type"] = content_type
        signed = Signer(
            headers=headers,
            private_key=self.private_key,
            method=method,
            url=url,
            key_id=self.key_id,
            body=body or b"",
        ).sign()
        entry = {"method": method, "url": url, "signature": signed.get("Signature"), "status": None, "body": None}
        request = urllib.request.Request(url, data=body, method=method, headers=signed)
        status, text = http(request)
        entry["status"], entry["body"] = status, text[:2000]
        self.record("sent", entry)
        return status, text

    def deliver(self, inbox, activity):
        body = json.dumps(activity).encode("utf-8")
        status, text = self.signed_request("POST", inbox, body, ACTIVITY_JSON)
        log(f"{activity['type']} to {inbox}: {status} {text[:300]}")
        return status, text

    def follow(self, actor_url):
        status, text = http(urllib.request.Request(actor_url, headers={"accept": ACTIVITY_JSON}))
        if status != 200:
            return {"error": f"GET {actor_url} answered {status}: {text[:500]}"}
        actor = json.loads(text)
        follow = {
            "@context": AS_CONTEXT,
            "id": f"{self.id}/follows/{uuid.uuid4()}",
            "type": "Follow",
            "actor": self.id,
            "object": actor["id"],
        }
        status, text = self.deliver(actor["inbox"], follow)
        return {"id": follow["id"], "inbox": actor["inbox"], "status": status, "body": text[:2000]}

    def accept(self, follow, follower):
        accept = {
            "@context": AS_CONTEXT,
            "id": f"{self.id}/accepts/{uuid.uuid4()}",
            "type": "Accept",
            "actor": self.id,
            "object": follow,
        }
        self.deliver(follower["inbox"], accept)

    # --- what apsig checks ------------------------------------------------------------------------

    def verify(self, method, path, headers, body, activity=None):
        """apsig's verdict on a request: `(key_id, None)` when its signature verifies, `(key_id,
        reason)` when not; also the key owner's actor document (or None)."""
        signature = headers.get("signature")
        if not signature:
            return None, "no Signature header", None
        match = re.search(r'keyId="([^"]*)"', signature)
        if not match:
            return None, "the signature has no keyId", None
        key_id = match.group(1)
        actor_url = key_id.split("#", 1)[0]
        status, text = http(urllib.request.Request(actor_url, headers={"accept": ACTIVITY_JSON}))
        if status != 200:
            return key_id, f"GET {actor_url} (the key's actor) answered {status}: {text[:300]}", None
        try:
            actor = json.loads(text)
            key = actor["publicKey"]
            pem = key["publicKeyPem"]
        except (ValueError, KeyError, TypeError) as error:
            return key_id, f"{actor_url} has no publicKey.publicKeyPem: {error!r}", None
        if key.get("id") != key_id:
            return key_id, f"{actor_url}'s key is {key.get('id')}, not the signature's {key_id}", actor
        if activity is not None and activity.get("actor") != actor.get("id"):
            return key_id, f"signed by {actor.get('id')}, not by the activity's actor {activity.get('actor')}", actor
        try:
            verified = Verifier(
                public_pem=pem, method=method, url=f"{self.origin}{path}", headers=headers, body=body
            ).verify(raise_on_fail=True)
        except Exception as error:  # apsig raises its own errors and ValueError for what it cannot read
            return key_id, f"{type(error).__name__}: {error}", actor
        if verified != key_id:
            return key_id, f"apsig returned {verified!r}", actor
        return key_id, None, actor


def http(request):
    """Status and text of a request; network failures come back as status 0 with the reason."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(MAX_BODY).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(MAX_BODY).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return 0, f"{type(error).__name__}: {error}"


def urlpath(url):
    return urllib.parse.urlsplit(url).path


def signature_param(headers, name):
    match = re.search(rf'{name}="([^"]*)"', headers.get("signature") or "")
    return match.group(1) if match else None


def id_of(value):
    return value.get("id") if isinstance(value, dict) else value


class Handler(BaseHTTPRequestHandler):
    account: Account
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        log(f"{self.command} {self.path} {format % args}")

    def do_GET(self):
        self.guard(self.get)

    def do_POST(self):
        self.guard(self.post)

    def guard(self, handler):
        try:
            handler()
        except Exception:
            log(traceback.format_exc())
            self.answer(500, {"error": "server.py failed: see its log"})

    def answer(self, status, value, content_type="application/json"):
        body = json.dumps(value, indent=1).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def headers_dict(self):
        return {name.lower(): value for name, value in self.headers.items()}

    def body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(min(length, MAX_BODY))

    def get(self):
        account = self.account
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        headers = self.headers_dict()
        if "signature" in headers:
            key_id, error, _ = account.verify("GET", path, headers, b"")
            account.record(
                "received",
                {
                    "method": "GET",
                    "path": path,
                    "keyId": key_id,
                    "algorithm": signature_param(headers, "algorithm"),
                    "signedHeaders": signature_param(headers, "headers"),
                    "verified": error is None,
                    "error": error,
                },
            )
            if error:
                log(f"GET {path}: apsig refused the signature: {error}")
        if path == "/.well-known/webfinger":
            resource = (urllib.parse.parse_qs(url.query).get("resource") or [""])[0]
            document = account.webfinger(resource)
            if document is None:
                return self.answer(404, {"error": f"no account {resource}"})
            return self.answer(200, document, "application/jrd+json")
        if path == urlpath(account.id):
            return self.answer(200, account.document(), ACTIVITY_JSON)
        for collection in ("outbox", "followers", "following"):
            if path == urlpath(f"{account.id}/{collection}"):
                document = {
                    "@context": AS_CONTEXT,
                    "id": f"{account.id}/{collection}",
                    "type": "OrderedCollection",
                    "totalItems": 0,
                    "orderedItems": [],
                }
                return self.answer(200, document, ACTIVITY_JSON)
        if path == "/_test/received":
            return self.answer(200, {"items": account.snapshot("received")})
        if path == "/_test/sent":
            return self.answer(200, {"items": account.snapshot("sent")})
        return self.answer(404, {"error": f"nothing at {path}"})

    def post(self):
        account = self.account
        path = urllib.parse.urlsplit(self.path).path
        body = self.body()
        if path in (urlpath(account.inbox), urlpath(account.shared_inbox)):
            return self.inbox(path, body)
        try:
            request = json.loads(body or b"{}")
        except ValueError as error:
            return self.answer(400, {"error": f"not JSON: {error}"})
        if path == "/_test/follow":
            return self.answer(200, account.follow(request["actor"]))
        if path == "/_test/fetch":
            status, text = account.signed_request("GET", request["url"])
            return self.answer(200, {"status": status, "body": text[:65536]})
        return self.answer(404, {"error": f"nothing at {path}"})

    def inbox(self, path, body):
        account = self.account
        headers = self.headers_dict()
        try:
            activity = json.loads(body)
        except ValueError as error:
            activity, parse_error = None, f"the body is not JSON: {error}"
        else:
            parse_error = None if isinstance(activity, dict) else "the body is not a JSON object"
        if parse_error:
            key_id, error, follower = signature_param(headers, "keyId"), parse_error, None
        else:
            key_id, error, follower = account.verify("POST", path, headers, body, activity)
        activity = activity if isinstance(activity, dict) else {}
        status = 202 if error is None else 401
        obj = activity.get("object")
        account.record(
            "received",
            {
                "method": "POST",
                "path": path,
                "keyId": key_id,
                "algorithm": signature_param(headers, "algorithm"),
                "signedHeaders": signature_param(headers, "headers"),
                "verified": error is None,
                "error": error,
                "status": status,
                "id": activity.get("id"),
                "type": activity.get("type"),
                "actor": id_of(activity.get("actor")),
                "objectId": id_of(obj),
                "object": obj,
            },
        )
        if error:
            log(f"POST {path}: apsig refused the signature: {error}")
            return self.answer(401, {"error": error})
        self.answer(202, {"verified": key_id})
        if activity.get("type") == "Follow" and obj == account.id and follower is not None:
            threading.Thread(target=account.accept, args=(activity, follower), daemon=True).start()


def main():
    args = sys.argv[1:]
    port = int(args[0]) if args else 0
    username = args[1] if len(args) > 1 else "apsig"
    if not 0 <= port <= 65535 or not re.fullmatch(r"[a-z0-9_]+", username):
        print("usage: server.py [PORT [USERNAME]]", file=sys.stderr)
        sys.exit(2)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    origin = f"http://localhost:{server.server_address[1]}"
    Handler.account = Account(origin, username)
    log(f"apsig {APSIG_VERSION} on Python {sys.version.split()[0]}, account {Handler.account.id}")
    print(f"ready {origin}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
