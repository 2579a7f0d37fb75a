#!/usr/bin/env python3
"""A small SMTP server for the TLSA tests: greets, answers EHLO with
STARTTLS, starts TLS (RFC 3207) with the certificate chain it was given, and
then answers EHLO and QUIT. One connection at a time, until SIGTERM.

usage: smtp_starttls.py PORT CHAIN_PEM KEY_PEM [READY_FILE]
CHAIN_PEM holds the server's certificate first, then its CA. READY_FILE is
created once the server listens."""
import signal
import socket
import ssl
import sys


def reply(stream, text):
    stream.write(text.encode("ascii"))
    stream.flush()


def serve(connection, context):
    connection.settimeout(10)
    plain = connection.makefile("rwb", buffering=0)
    reply(plain, "220 mail.example.test ESMTP test server\r\n")
    while True:
        line = plain.readline()
        if not line:
            return
        command = line.strip().upper()
        if command.startswith(b"EHLO") or command.startswith(b"HELO"):
            reply(plain, "250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        elif command == b"STARTTLS":
            reply(plain, "220 2.0.0 Ready to start TLS\r\n")
            break
        elif command == b"QUIT":
            reply(plain, "221 2.0.0 Bye\r\n")
            return
        else:
            reply(plain, "502 5.5.2 Command not recognised\r\n")
    secure = context.wrap_socket(connection, server_side=True)
    stream = secure.makefile("rwb", buffering=0)
    while True:
        line = stream.readline()
        if not line:
            return
        command = line.strip().upper()
        if command.startswith(b"EHLO"):
            reply(stream, "250-mail.example.test\r\n250 PIPELINING\r\n")
        elif command == b"QUIT":
            reply(stream, "221 2.0.0 Bye\r\n")
            return
        else:
            reply(stream, "250 2.0.0 OK\r\n")


def main():
    port, chain, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ready = sys.argv[4] if len(sys.argv) > 4 else None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile=chain, keyfile=key)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(8)
    if ready:
        open(ready, "w").close()
    while True:
        connection, _ = listener.accept()
        try:
            serve(connection, context)
        except (OSError, ssl.SSLError):
            pass  # a client that hangs up early is not the server's problem
        finally:
            connection.close()


if __name__ == "__main__":
    main()
