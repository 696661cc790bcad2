"""npm and Evidence run with what they need of the environment, never a source's secret."""

from __future__ import annotations

from orchestration.defs.reports import npm_env


def test_npm_gets_paths_and_proxies_but_no_credentials():
    ours = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "NODE_EXTRA_CA_CERTS": "/etc/ca.pem",
        "HTTPS_PROXY": "http://proxy:3128",
        "npm_config_cache": "/tmp/npm",
        "SOURCES__HUBSPOT__API_KEY": "pat-secret",
        "SOURCES__MARKETO__CLIENT_SECRET": "secret",
        "PGPASSWORD": "pw",
        "WAREHOUSE_POSTGRES_URL": "postgresql://u:pw@h/db",
        "ALERT_WEBHOOK_URL": "https://hooks.example/x",
        "AWS_SECRET_ACCESS_KEY": "aws",
    }
    env = npm_env({"EVIDENCE_SOURCE__certified__filename": "../x.duckdb"}, ours)
    assert {k: env[k] for k in ("PATH", "HOME", "LANG", "NODE_EXTRA_CA_CERTS", "HTTPS_PROXY",
                                "npm_config_cache")} == {
        k: ours[k] for k in ("PATH", "HOME", "LANG", "NODE_EXTRA_CA_CERTS", "HTTPS_PROXY",
                             "npm_config_cache")
    }  # fmt: skip
    assert env["EVIDENCE_SOURCE__certified__filename"] == "../x.duckdb"
    assert env["DO_NOT_TRACK"] == "1"
    leaked = [k for k in env if ours.get(k) and any(s in ours[k] for s in ("secret", "pw", "aws"))]
    assert leaked == []
    assert not [k for k in env if k.startswith(("SOURCES__", "PG", "WAREHOUSE_", "ALERT_", "AWS_"))]
