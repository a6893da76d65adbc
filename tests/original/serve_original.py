"""Serves the original freezer-api (its paste pipeline, config from --config-file) on a free
loopback port, written to the file PORT_FILE names (its log goes to stdout)."""
import io
import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from freezer_api import service


class Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    app = service.initialize_app()

    def wsgi(environ, start_response):
        # it reads the body to its end (req.stream.read()), which uWSGI and paste bound by
        # Content-Length and wsgiref does not: the body alone, in memory
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length) if length else b"")
        # its version document is a str body (resp.data = json.dumps(...)), which uWSGI
        # passes and wsgiref refuses
        for chunk in app(environ, start_response):
            yield chunk.encode() if isinstance(chunk, str) else chunk
    server = make_server("127.0.0.1", 0, wsgi, server_class=Threaded, handler_class=Quiet)
    with open(os.environ["PORT_FILE"] + ".partial", "w") as f:
        f.write(str(server.server_port))
    os.rename(os.environ["PORT_FILE"] + ".partial", os.environ["PORT_FILE"])
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
