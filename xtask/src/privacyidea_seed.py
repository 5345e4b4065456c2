"""Seeds the throwaway privacyIDEA for `cargo xtask test` over its REST API.

argv: base_url superadmin superadmin_password realm users_file service_admin rp_id api_key_file
Makes a passwd resolver over users_file, the realm, the enrollment policies the Recovery Desk
provider needs, a short JWT lifetime (so the tests see the service sign in again), an API client
whose key goes to api_key_file, and last the admin policy that limits service_admin to that
realm (once an admin policy exists, admins without one can do nothing, so it comes last).
"""
import json
import sys
import urllib.parse
import urllib.request

base, admin, password, realm, users_file, service_admin, rp_id, api_key_file = sys.argv[1:9]


def call(path, fields, jwt=None):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(base + path, data=data, method="POST")
    if jwt:
        request.add_header("PI-Authorization", jwt)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        sys.exit(f"POST {path} failed: HTTP {error.code} {error.read()[:300]!r}")
    if not body.get("result", {}).get("status"):
        sys.exit(f"POST {path} failed: {body.get('result')!r}")
    return body["result"]["value"]


jwt = call("/auth", {"username": admin, "password": password})["token"]
call("/resolver/people", {"type": "passwdresolver", "fileName": users_file}, jwt)
call(f"/realm/{realm}", {"resolvers": "people"}, jwt)
call("/policy/recoverydesk-enroll", {
    "scope": "enrollment",
    "realm": realm,
    "action": ", ".join([
        "registration.length=9",
        "registration.contents=[0123456789]",
        f"webauthn_relying_party_id={rp_id}",
        "webauthn_relying_party_name=Recovery Desk tests",
        "tokenissuer=Recovery Desk tests",
    ]),
}, jwt)
call("/policy/short-jwt", {"scope": "webui", "action": "jwt_validity=10"}, jwt)
# 3.14 accepts only the client types of its integration catalog (privacyidea-cp, pam, …);
# none names a recovery tool, so the tests borrow "pam".
client = call("/clients/", {"display_name": "Recovery Desk tests", "client_type": "pam"}, jwt)
with open(api_key_file, "w") as out:
    out.write(client["api_key"])
call("/policy/recoverydesk-admin", {
    "scope": "admin",
    "realm": realm,
    "adminuser": service_admin,
    "action": ", ".join([
        "tokenlist", "enrollHOTP", "enrollTOTP", "enrollREGISTRATION", "enrollWEBAUTHN",
        "assign", "enable", "disable", "revoke", "delete", "reset", "resync",
        "setdescription",
        # Only for the tests, which check that privacyIDEA saw the API key.
        "api_client_list",
    ]),
}, jwt)
print("privacyIDEA seeded")
