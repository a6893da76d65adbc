"""A paste filter standing where the original's pipeline has keystonemiddleware's authtoken:
the token `fake:<user>:<project>` is the identity, set in the headers authtoken would set
(X-User-Id, X-User-Name, X-Project-Id, X-Roles) that the original reads; any other token
is 401.
Loaded by the original's own Python (tests/original/serve_original.py), not by ours."""


def filter_factory(global_conf, **local_conf):
    def auth(app):
        def wsgi(environ, start_response):
            parts = environ.get("HTTP_X_AUTH_TOKEN", "").split(":")
            if len(parts) != 3 or parts[0] != "fake" or not all(parts[1:]):
                start_response("401 Unauthorized", [("Content-Type", "application/json")])
                return [b'{"title": "Unauthorized", "description": "bad token", "code": 401}']
            _, user, project = parts
            environ.update(HTTP_X_USER_ID=user, HTTP_X_USER_NAME=user,
                           HTTP_X_PROJECT_ID=project, HTTP_X_TENANT_ID=project,
                           HTTP_X_ROLES="member", HTTP_X_IDENTITY_STATUS="Confirmed")
            return app(environ, start_response)
        return wsgi
    return auth
