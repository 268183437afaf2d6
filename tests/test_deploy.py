"""The shipped deployment files (deploy/, docs/deploy.md) are valid for the tools that read them:
gunicorn loads its config and the app, systemd parses the units, nginx accepts the site."""
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUNICORN = Path(sys.executable).parent / "gunicorn"


def test_gunicorn_config_loads_the_app_and_logs_no_query_strings(tmp_path):
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    log_format = settings["access_log_format"]
    # The path only: %(r)s (the request line), %(q)s (the query) and %(f)s (the referrer) carry URLs.
    assert "%(U)s" in log_format
    assert not re.search(r"%\((r|q|f)\)s", log_format)
    assert settings["timeout"] >= 30 and settings["workers"] >= 1
    done = subprocess.run([str(GUNICORN), "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
                          cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "CASEFLOW_INSTANCE_DIR": str(tmp_path),
                               "CASEFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'check.db'}", "WEB_CONCURRENCY": "3"})
    assert done.returncode == 0, done.stderr[-2000:]


def test_gunicorn_config_takes_bind_and_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("CASEFLOW_BIND", "10.0.0.5:8123")
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert (settings["bind"], settings["workers"]) == ("10.0.0.5:8123", 7)


def test_systemd_units_parse(tmp_path):
    units = sorted((DEPLOY / "systemd").iterdir())
    assert {u.name for u in units} >= {"caseflow.service", "caseflow-worker.service", "caseflow-escalate.service",
                                       "caseflow-escalate.timer"}
    # The units name /srv/caseflow; systemd checks that each command exists, so point them here.
    for unit in units:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/caseflow", str(ROOT)))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(p.name for p in tmp_path.iterdir())],
                          cwd=tmp_path, capture_output=True, text=True)
    # An unknown key or section is only a warning (exit 0): any output at all fails the test.
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stderr + done.stdout
    worker = (DEPLOY / "systemd" / "caseflow-worker.service").read_text()
    assert "caseflow worker" in worker and "KillSignal=SIGTERM" in worker
    assert "caseflow escalate" in (DEPLOY / "systemd" / "caseflow-escalate.service").read_text()
    # The workers' request metrics are summed from one folder that each start empties.
    app = (DEPLOY / "systemd" / "caseflow.service").read_text()
    assert "RuntimeDirectory=caseflow-metrics" in app and "PROMETHEUS_MULTIPROC_DIR=/run/caseflow-metrics" in app


def test_nginx_site_is_accepted_by_nginx(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=caseflow.example.org", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "caseflow.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site  # one hop: CASEFLOW_TRUSTED_PROXIES=1
    assert "location = /metrics" in site  # scraped on the app servers, never through the public site
    log_format = site.split("log_format", 1)[1].split(";", 1)[0]
    assert "$uri" in log_format and not re.search(r"\$(request|request_uri|args|query_string|http_referer)\b", log_format)
    site = (site.replace("/etc/letsencrypt/live/caseflow.example.org/fullchain.pem", str(tmp_path / "cert.pem"))
                .replace("/etc/letsencrypt/live/caseflow.example.org/privkey.pem", str(tmp_path / "key.pem"))
                .replace("/var/log/nginx/", f"{tmp_path}/").replace("/srv/caseflow", str(ROOT)))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n    include {tmp_path}/site.conf;\n}}\n")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr


def test_environment_example_names_only_known_settings_and_no_secret():
    names = {line.split("=", 1)[0] for line in (DEPLOY / "env.example").read_text().splitlines()
             if line and not line.startswith("#")}
    documented = (ROOT / "README.md").read_text() + (ROOT / "docs" / "deploy.md").read_text()
    assert names and all(name in documented for name in names), names - {n for n in names if n in documented}
    assert re.search(r"^CASEFLOW_SECRET_KEY=$", (DEPLOY / "env.example").read_text(), re.M)


def test_deploy_guide_names_every_shipped_file():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            assert str(path.relative_to(ROOT)) in guide, path
