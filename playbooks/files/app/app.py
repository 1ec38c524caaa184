#!/usr/bin/env python3
"""The sample application behind Nginx.

GET /        the serving host's name (shows round robin through the load balancer)
GET /health  200 when the local database answers, 503 otherwise (HAProxy's health check)
GET /visits  records a visit through the primary, returns the count read from the local database
             (on the replica host that count comes through replication)

Only Debian/Ubuntu packages: python3 and python3-pymysql (+ python3-cryptography, which MySQL's
caching_sha2_password needs without TLS). Configuration comes from the environment (systemd
EnvironmentFile), so the code is identical on every host.
"""
import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pymysql

HOSTNAME = os.environ.get("APP_HOST_NAME") or socket.gethostname()
LISTEN = os.environ.get("APP_LISTEN", "127.0.0.1")
PORT = int(os.environ.get("APP_PORT", "8000"))


def connect(host):
    return pymysql.connect(
        host=host,
        port=int(os.environ.get("DB_PORT", "3306")),
        user=os.environ["DB_USER"],
        password=os.environ["DB_PASSWORD"],
        database=os.environ["DB_NAME"],
        connect_timeout=3,
        read_timeout=5,
        write_timeout=5,
        autocommit=True,
    )


def local_db():
    return connect(os.environ.get("DB_LOCAL_HOST", "127.0.0.1"))


def primary_db():
    return connect(os.environ["DB_PRIMARY_HOST"])


def ensure_schema(conn):
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS visits ("
            " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
            " served_by VARCHAR(255) NOT NULL,"
            " at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))"
        )


class Handler(BaseHTTPRequestHandler):
    server_version = "shipshape-sample/1"

    def reply(self, status, body, content_type="text/plain; charset=utf-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Served-By", HOSTNAME)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        try:
            if self.path == "/":
                self.reply(200, HOSTNAME + "\n")
            elif self.path == "/health":
                conn = local_db()
                try:
                    with conn.cursor() as cur:
                        cur.execute("SELECT 1")
                        cur.fetchone()
                finally:
                    conn.close()
                self.reply(200, "ok\n")
            elif self.path == "/visits":
                primary = primary_db()
                try:
                    ensure_schema(primary)
                    with primary.cursor() as cur:
                        cur.execute("INSERT INTO visits (served_by) VALUES (%s)", (HOSTNAME,))
                        visit_id = cur.lastrowid
                finally:
                    primary.close()
                local = local_db()
                try:
                    with local.cursor() as cur:
                        cur.execute("SELECT COUNT(*) FROM visits")
                        (count,) = cur.fetchone()
                finally:
                    local.close()
                body = json.dumps({"servedBy": HOSTNAME, "visitId": visit_id, "localCount": count})
                self.reply(200, body + "\n", "application/json")
            else:
                self.reply(404, "not found\n")
        except pymysql.MySQLError as error:
            # The health check reads this status: a host whose database is down leaves the pool.
            self.reply(503, "database unavailable: %s\n" % (error.args[0] if error.args else error))

    def log_message(self, fmt, *args):
        # journald already timestamps; keep one short line per request.
        print("%s %s" % (self.address_string(), fmt % args), flush=True)


def main():
    server = ThreadingHTTPServer((LISTEN, PORT), Handler)
    server.daemon_threads = True
    print("listening on %s:%d as %s" % (LISTEN, PORT, HOSTNAME), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
