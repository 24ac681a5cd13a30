"""Debian's nginx with the shipped site settings (deploy/nginx), on a loopback port, TLS off.

Used by tests/deploy/test_nginx.py and bench/faults.py: the server block is
the plain-HTTP one, and everything inside it is deploy/nginx/letters-common.conf,
the same file the TLS site includes.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMON = ROOT / "deploy" / "nginx" / "letters-common.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_available():
    return Path(NGINX).exists()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Nginx:
    """nginx in the foreground, its files under `directory`, proxying to `upstream` (host:port)."""

    def __init__(self, directory, upstream):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = self.directory / "nginx.conf"
        conf.write_text(self._conf(upstream))
        self.process = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    message = self.process.stderr.read().decode()
                    raise RuntimeError(f"nginx did not start: {message}") from None
                time.sleep(0.05)
        raise RuntimeError("nginx did not answer within 10 s")

    def _conf(self, upstream):
        names = ["body", "proxy", "fastcgi", "uwsgi", "scgi"]
        temp = {name: self.directory / name for name in names}
        return f"""daemon off;
pid {self.directory}/nginx.pid;
error_log {self.directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    upstream letters_app {{ server {upstream}; keepalive 4; }}
    server {{
        listen 127.0.0.1:{self.port};
        server_name localhost;
        include {COMMON};
    }}
}}
"""

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
