"""gunicorn's settings (docker/entrypoint.sh starts it with `-c` this file).

gunicorn trusts X-Forwarded-Proto (and its kin) from 127.0.0.1 by default; PHMS trusts
such headers only behind the TLS proxy that sets them (`BEHIND_TLS_PROXY=true`).
"""

import os

_TRUE = {"1", "true", "yes", "on"}

if os.environ.get("BEHIND_TLS_PROXY", "").strip().lower() in _TRUE:
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}
