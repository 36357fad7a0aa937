"""Check that the official Databricks Python SDK works against a workspace emulator.

Runs the SDK with a personal access token (auth type "pat") and with OAuth M2M client
credentials (auth type "oauth-m2m"). With each it reads the current user, and with the token it
also reads the workspace id and lists and gets SCIM users. Last, it checks that a rejected token
raises the SDK's PermissionDenied error.

Every setting is passed explicitly, so ~/.databrickscfg and DATABRICKS_* variables are not
needed; clear them in the environment for a clean run. Secrets come from environment variables
so they stay out of the process list:

    SDK_CHECK_USER_TOKEN=dapi-alice-dev SDK_CHECK_CLIENT_SECRET=dev-sp-secret \
    python check.py --host http://127.0.0.1:PORT --user alice@example.com \
        --client-id 6f1c2a3e-0000-4000-8000-000000000001 --workspace-id 1234567890123456

Exits with status 0 when every check passes and 1 with a message otherwise.
"""

import argparse
import os
import sys

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import PermissionDenied


class CheckFailed(Exception):
    """A check whose observed value differs from the expected one."""


def expect_equal(label, actual, expected):
    if actual != expected:
        raise CheckFailed(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok: {label} = {actual!r}")


def check_pat(host, token, user, workspace_id):
    client = WorkspaceClient(host=host, token=token, auth_type="pat")
    expect_equal("pat auth type", client.config.auth_type, "pat")
    me = client.current_user.me()
    expect_equal("pat current user", me.user_name, user)
    expect_equal("pat workspace id", client.get_workspace_id(), int(workspace_id))

    found = list(client.users.list(filter=f'userName eq "{user}"'))
    expect_equal("users matching the filter", [u.user_name for u in found], [user])
    expect_equal("user by id", client.users.get(me.id).user_name, user)


def check_oauth_m2m(host, client_id, client_secret):
    client = WorkspaceClient(
        host=host,
        client_id=client_id,
        client_secret=client_secret,
        auth_type="oauth-m2m",
    )
    expect_equal("m2m auth type", client.config.auth_type, "oauth-m2m")
    expect_equal("m2m current user", client.current_user.me().user_name, client_id)


def check_rejected_token(host):
    client = WorkspaceClient(host=host, token="dapi-not-issued-by-the-emulator", auth_type="pat")
    try:
        client.current_user.me()
    except PermissionDenied:
        print("ok: an unknown token raises PermissionDenied")
        return
    raise CheckFailed("an unknown token was accepted")


def required_env(name):
    value = os.environ.get(name)
    if not value:
        raise CheckFailed(f"environment variable {name} is missing or empty")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="emulator base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--user", required=True, help="userName the user token belongs to")
    parser.add_argument("--client-id", required=True, help="service principal application id")
    parser.add_argument("--workspace-id", required=True, help="expected numeric workspace id")
    args = parser.parse_args()

    try:
        check_pat(args.host, required_env("SDK_CHECK_USER_TOKEN"), args.user, args.workspace_id)
        check_oauth_m2m(args.host, args.client_id, required_env("SDK_CHECK_CLIENT_SECRET"))
        check_rejected_token(args.host)
    except CheckFailed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("all SDK checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
