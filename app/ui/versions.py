"""Lost updates: every dashboard edit form carries the version of the record it was filled
from (a hidden `version` field). Its save passes that version to the service as an
If-Match; when the record was saved elsewhere meanwhile the service refuses it
(PreconditionFailed), nothing is written, and the page answers 409 with the values stored
now and a message saying why. The one mechanism for jobs, sessions, actions and
notification rules and channels."""
from wtforms import HiddenField


def version_field() -> HiddenField:
    """The hidden input an edit form declares as `version = version_field()`."""
    return HiddenField()


def remember(form, row) -> None:
    """Fill the form's hidden version from the record it shows."""
    form.version.data = str(row.version)


def if_match(form) -> str:
    """The If-Match of a save: the version the form was filled from. A form posted without
    one matches no version, so it is refused rather than saved blind."""
    return f'"{(form.version.data or "").strip()}"'


def stale_message(what: str, row) -> str:
    return (f"Not saved: this {what} was changed elsewhere (it is now at version "
            f"{row.version}) after this form was opened. Below are its current values; "
            "make your change again and save.")
