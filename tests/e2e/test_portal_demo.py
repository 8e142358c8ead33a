"""`klean demo` leaves a portal every documented demo user can sign in to, each landing on its own pages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from klean.adapters.commands.demo import DEMO_USERS

HOME_PAGE = {"admin": "/portal/admin", "rights_holder": "/portal/brands", "trusted_partner": "/portal/brands",
             "seller": "/portal/seller", "reviewer": "/portal/review", "inspector": "/portal/inspector"}


def test_demo_users_sign_in_to_the_portal(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    env = {**os.environ, "KLEAN_LOG_JSON": "true"}
    proc = subprocess.run([sys.executable, "-m", "klean.adapters.cli", "demo", "--no-serve", "--home", str(home)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from klean.adapters.api.app import create_app
    from klean.bootstrap import bootstrap
    from klean.config import Settings

    k = bootstrap(Settings(home=home), database_url=f"sqlite:///{home / 'klean.db'}")
    try:
        with TestClient(create_app(k)) as client:
            for user_id, role, _org, _seller, password in DEMO_USERS:
                assert f"password {password}" in proc.stdout
                client.cookies.clear()
                form = client.get("/portal/signin").text
                token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
                r = client.post("/portal/signin", data={"login": user_id, "password": password, "csrf_token": token},
                                follow_redirects=False)
                assert r.status_code == 303, (user_id, r.text[-500:])
                page = client.get(HOME_PAGE[role])
                assert page.status_code == 200, (user_id, role)
                if role == "reviewer":  # the demo's held listing waits in the queue
                    assert "demo-0" in page.text
    finally:
        k.engine.dispose()
