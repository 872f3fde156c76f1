"""The portal's cast (users, participants, providers) serves the DTR tests too."""

from tests.portal.conftest import cast, portal  # noqa: F401  (fixtures)
