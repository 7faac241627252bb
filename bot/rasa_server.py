"""``python -m bot.rasa_server run …``: Rasa's own command line with its HTTP API hardened.

- Authentication is a JWT in the ``Authorization`` header (``bot.rasa_api``), signed with
  FUSION_RASA_TOKEN, which this launcher hands to Rasa itself so that the secret never
  appears on a command line; Rasa's query-string token (``--auth-token``) is not used.
- The endpoints that load, replace, delete, train or test a model answer 403: a crafted
  model runs code when Rasa loads it (CVE-2024-49375), and the model is ours to deploy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from bot.rasa_api import ALGORITHM

# (method, path prefix) refused on the Rasa server
REFUSED = (("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train"),
           ("POST", "/model/test"))  # fmt: skip


def refused(method: str, path: str) -> bool:
    return any(method == m and (path == p or path.startswith(p + "/")) for m, p in REFUSED)


def hardened(create_app: Callable[..., Any]) -> Callable[..., Any]:
    """Rasa's ``create_app`` with a first middleware that refuses the model endpoints."""
    from sanic import response

    def create(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)

        async def refuse_model_changes(request: Any) -> Any:
            if refused(request.method, request.path):
                return response.json(
                    {"status": "failure", "reason": "Forbidden",
                     "message": "models are deployed with the server, not through its API"},
                    status=403,
                )  # fmt: skip
            return None

        app.register_middleware(refuse_model_changes, "request")
        return app

    return create


def validating_once(remote_action: type) -> Callable[..., bool]:
    """A ``RemoteAction._validate_action_result`` that checks Rasa's response schema once.

    Rasa calls ``jsonschema.validate`` on every action server answer, which first checks
    the schema itself against the 2020-12 meta-schema: py-spy put that at half the CPU a
    turn costs the Rasa server (P8), time every other conversation waits. The schema is
    Rasa's constant, so its validator is built once; answers are checked as before, and a
    wrong one raises the same ``ValidationError``."""
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for

    schema = remote_action.action_response_format_spec()  # type: ignore[attr-defined]
    kind = validator_for(schema)
    kind.check_schema(schema)
    validator = kind(schema)

    def validate(_: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as exc:
            exc.message += ". Failed to validate Action server response from API"
            raise
        return True

    return validate


def main(argv: list[str]) -> None:
    import rasa.server
    from rasa.__main__ import main as rasa_main
    from rasa.core.actions.action import RemoteAction

    secret = os.environ.get("FUSION_RASA_TOKEN", "").strip()
    if not secret:
        raise SystemExit("FUSION_RASA_TOKEN must be set: Rasa's HTTP API needs it")
    rasa.server.create_app = hardened(rasa.server.create_app)
    RemoteAction._validate_action_result = validating_once(RemoteAction)  # type: ignore[method-assign]
    sys.argv = ["rasa", *argv, "--jwt-secret", secret, "--jwt-method", ALGORITHM]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
