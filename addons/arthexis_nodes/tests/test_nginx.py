import shutil
import subprocess
import tempfile
import unittest
from datetime import datetime, timedelta
from pathlib import Path

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, TransactionCase, tagged

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
)


def nginx_test(server_blocks, directory):
    """Run ``nginx -t`` on the blocks inside a minimal http{} config; (ok, output)."""
    directory = Path(directory)
    conf = directory / "nginx.conf"
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    (directory / "site.conf").write_text(server_blocks)
    conf.write_text(
        f"""
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {directory}/site.conf;
}}
"""
    )
    result = subprocess.run(
        [
            NGINX,
            "-t",
            "-q",
            "-e",
            str(directory / "error.log"),
            "-p",
            str(directory),
            "-c",
            str(conf),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode == 0, result.stdout + result.stderr


def self_signed(directory):
    """A throwaway certificate and key, so nginx -t can load a TLS server block."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edge.example.com")])
    now = datetime.utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = Path(directory) / "edge.pem", Path(directory) / "edge.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@tagged("post_install", "-at_install")
class TestNginxRender(TransactionCase):
    def setUp(self):
        super().setUp()
        self.template = self.env["arthexis.nginx.template"].create(
            {
                "name": "Edge",
                "fallback_servers": "10.0.0.2:9000\n[fd00::3]:9000\n",
                "odoo_url": "http://127.0.0.1:8069",
            }
        )
        self.node = self.env["arthexis.node"].create(
            {
                "name": "Garage edge",
                "hostname": "garage.example.com",
                "addresses": "192.168.1.20",
                "port": 9100,
                "nginx_template_id": self.template.id,
            }
        )

    def test_the_node_form_previews_its_rendered_configuration(self):
        config = self.node.nginx_config
        self.assertIn(f"upstream arthexis_bridge_{self.node.id} {{", config)
        self.assertIn("server 192.168.1.20:9100 max_fails=3 fail_timeout=10s;", config)
        self.assertIn("server 10.0.0.2:9000 backup;", config)
        self.assertIn("server [fd00::3]:9000 backup;", config)
        self.assertIn("server_name garage.example.com;", config)
        self.assertIn("location /ocpp/ {", config)
        self.assertIn("proxy_set_header Upgrade $http_upgrade;", config)
        self.assertIn("proxy_pass http://127.0.0.1:8069;", config)
        self.assertNotIn("ssl_certificate", config)

    def test_tls_paths_add_an_https_server_and_redirect_http(self):
        self.template.write(
            {"ssl_certificate": "/etc/ssl/edge.pem", "ssl_certificate_key": "/etc/ssl/edge.key"}
        )
        config = self.node.nginx_config
        self.assertIn("listen 443 ssl;", config)
        self.assertIn("ssl_certificate /etc/ssl/edge.pem;", config)
        self.assertIn("return 301 https://$host$request_uri;", config)

    def test_bad_values_are_refused_with_readable_messages(self):
        with self.assertRaisesRegex(ValidationError, "host:port"):
            self.template.fallback_servers = "10.0.0.2"
        with self.assertRaisesRegex(ValidationError, "or neither"):
            self.template.ssl_certificate = "/etc/ssl/edge.pem"
        with self.assertRaisesRegex(ValidationError, "start and end with /"):
            self.template.ocpp_path = "ocpp"

    def test_the_rendered_configuration_passes_nginx_t(self):
        if not NGINX:
            raise unittest.SkipTest("nginx not installed: apt-get install nginx-light")
        with tempfile.TemporaryDirectory() as directory:
            ok, output = nginx_test(self.node.nginx_config, directory)
            self.assertTrue(ok, output)
        with tempfile.TemporaryDirectory() as directory:
            cert, key = self_signed(directory)
            self.template.write({"ssl_certificate": cert, "ssl_certificate_key": key})
            ok, output = nginx_test(self.node.nginx_config, directory)
            self.assertTrue(ok, output)

    def test_nginx_t_catches_a_broken_configuration(self):
        # The check above would be worthless if nginx -t passed anything.
        if not NGINX:
            raise unittest.SkipTest("nginx not installed: apt-get install nginx-light")
        with tempfile.TemporaryDirectory() as directory:
            ok, _output = nginx_test(self.node.nginx_config.replace(";", "", 1), directory)
            self.assertFalse(ok)


@tagged("post_install", "-at_install")
class TestNginxDownload(HttpCase):
    def setUp(self):
        super().setUp()
        template = self.env["arthexis.nginx.template"].create({"name": "Edge"})
        self.node = self.env["arthexis.node"].create(
            {"name": "Garage edge", "nginx_template_id": template.id}
        )
        users = self.env["res.users"].with_context(no_reset_password=True)
        users.create(
            {
                "name": "Olga",
                "login": "olga.nginx",
                "password": "olga.nginx.pw",
                "groups_id": [(6, 0, self.env.ref("arthexis_nodes.group_charging_user").ids)],
            }
        )
        users.create(
            {
                "name": "Mario",
                "login": "mario.nginx",
                "password": "mario.nginx.pw",
                "groups_id": [(6, 0, self.env.ref("arthexis_nodes.group_charging_manager").ids)],
            }
        )
        self.url = f"/arthexis/node/{self.node.id}/nginx.conf"

    def test_a_manager_downloads_the_rendered_file(self):
        self.authenticate("mario.nginx", "mario.nginx.pw")
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertEqual(response.text, self.node.nginx_config)

    def test_a_charging_user_cannot_download_it(self):
        self.authenticate("olga.nginx", "olga.nginx.pw")
        self.assertEqual(self.url_open(self.url).status_code, 404)
