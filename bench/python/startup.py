"""The one-shot program timed as "Python SDK start-up": import the official credentials SDK, resolve
the default chain once and print the credentials as JSON in the shape of `cloudcred get --format
json`; with nothing configured it ends in the SDK's own error (exit 1).

The caller sets the environment (README.md gives both commands). Whatever it sets, ECS metadata
is disabled, the credentials URI and OIDC variables are dropped, and netguard refuses every
connection, so this never goes out. All of it happens before the SDK is imported, because the SDK
reads the environment once, at import.
"""

import json
import os
import sys

import netguard

os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
for name in ("ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
             "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"):
    os.environ.pop(name, None)
netguard.install(allow_loopback=False)

from alibabacloud_credentials.client import Client  # noqa: E402
from alibabacloud_credentials.exceptions import CredentialException  # noqa: E402

try:
    cred = Client().get_credential()
except CredentialException as e:
    # The SDK's message lists each provider's failure; with nothing configured none holds a secret.
    print(f"CredentialException: {e.message}", file=sys.stderr)
    sys.exit(1)

json.dump(
    {
        "access_key_id": cred.access_key_id,
        "access_key_secret": cred.access_key_secret,
        "security_token": cred.security_token,
        "expiration": None,  # the SDK's CredentialModel carries no expiration
        "provider": cred.provider_name,
    },
    sys.stdout,
)
sys.stdout.write("\n")
