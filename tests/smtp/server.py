"""A real SMTP server for Maillage's email tests: aiosmtpd, listening on 127.0.0.1:PORT, writing each
message it accepts as one JSON line (sender, recipients, the whole message as received) to FILE.
It prints "ready" once it listens. Run from the virtual environment install.sh makes:

    .venv/bin/python server.py PORT FILE
"""

import asyncio
import json
import sys

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        line = json.dumps(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
            }
        )
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
        return "250 Message accepted for delivery"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Keep(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
