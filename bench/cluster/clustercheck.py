"""clustercheck, as Galera sites run it for HAProxy: one small HTTP endpoint per node that
answers 200 only while the node is Synced and ready (wsrep_local_state 4, wsrep_ready ON),
503 otherwise (down, joining, donor, or cut off from the primary component). A node that
accepts TCP but is not synced would refuse the app's queries (1047), so HAProxy's own
mysql-check is not enough. Served from threads of the process that runs the cluster."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ClusterCheck:
    def __init__(self, nodes, ports):
        self.servers = [_server(node, port) for node, port in zip(nodes, ports)]
        self.threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2},
                                         daemon=True) for s in self.servers]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()


def _server(node, port):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            synced = node.synced()
            body = (b"synced\n" if synced else b"not synced\n")
            self.send_response(200 if synced else 503)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # HAProxy closes as soon as it has read the status line

        def log_message(self, *args):  # one line a second per node: not wanted
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server
