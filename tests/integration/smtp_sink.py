#!/usr/bin/python3
"""An SMTP sink for the `reach watch` lab tests (stdlib only; smtpd is gone from Python 3.12):
EHLO/HELO, AUTH PLAIN (initial response or after 334), MAIL, RCPT, DATA (dot-unstuffed), RSET,
NOOP, QUIT. Every accepted message is appended to --out as one JSON line {"from", "rcpt",
"auth" ([user, password] or null), "data"} before the 250 is sent. Prints "ready" once
listening; exits after --max-seconds."""

import base64
import socketserver

import lab_server


def main() -> None:
    a = lab_server.parse_args()
    record = lab_server.Record(a.out)

    class Handler(socketserver.StreamRequestHandler):
        timeout = 30

        def say(self, line):
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def line(self):
            raw = self.rfile.readline(65536)
            if not raw:
                raise EOFError
            return raw.decode("utf-8", "replace").rstrip("\r\n")

        def plain(self, b64):
            parts = base64.b64decode(b64).split(b"\0")
            return [parts[1].decode(), parts[2].decode()] if len(parts) == 3 else None

        def handle(self):
            mail_from, rcpt, auth = None, [], None
            self.say("220 sink ESMTP")
            try:
                while True:
                    cmd = self.line()
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.say("250-sink")
                        self.say("250 AUTH PLAIN")
                    elif verb == "HELO":
                        self.say("250 sink")
                    elif verb == "AUTH":
                        words = cmd.split()
                        b64 = words[2] if len(words) > 2 else None
                        if b64 is None:
                            self.say("334 ")
                            b64 = self.line()
                        auth = self.plain(b64)
                        self.say("235 ok")
                    elif verb == "MAIL":
                        mail_from, rcpt = cmd.split(":", 1)[1].strip().split(" ")[0].strip("<>"), []
                        self.say("250 ok")
                    elif verb == "RCPT":
                        rcpt.append(cmd.split(":", 1)[1].strip().strip("<>"))
                        self.say("250 ok")
                    elif verb == "DATA":
                        self.say("354 go ahead")
                        lines = []
                        while True:
                            l = self.line()
                            if l == ".":
                                break
                            lines.append(l[1:] if l.startswith(".") else l)
                        record.append({"from": mail_from, "rcpt": rcpt, "auth": auth, "data": "\r\n".join(lines)})
                        self.say("250 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.say("250 ok")
                    elif verb == "QUIT":
                        self.say("221 bye")
                        return
                    else:
                        self.say("502 not implemented")
            except (EOFError, OSError):
                return

    lab_server.serve(a, socketserver.ThreadingTCPServer, Handler)


if __name__ == "__main__":
    main()
