"""The example's backend: answers with what the authorizer granted.

It runs inside the deployment, so a caller's bearer token never leaves it,
and it echoes no request header (the Authorization value included).
"""

import json


def handler(event, context):
    request = event.get("requestContext") or {}
    granted = (request.get("authorizer") or {}).get("lambda") or {}
    body = {
        "message": "Hello from the example backend",
        "routeKey": event.get("routeKey"),
        "requestId": request.get("requestId"),
        "authorizer": granted,
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
