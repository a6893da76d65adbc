from tests.ui.conftest import ui  # noqa: F401  (the signed-in dashboard operator)
