"""Database errors, which end up in logs, never carry the values of a statement."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from precert.db import transaction
from precert.models import Participant
from tests.conftest import World


def test_database_errors_do_not_show_names_or_birth_dates(world: World) -> None:
    world.participant("10000001")
    with pytest.raises(IntegrityError) as caught, transaction(world.sessions) as session:
        session.add(
            Participant(
                participant_id="10000001",
                first_name="Zelda-Unique-Name",
                last_name="Synthetic",
                birth_date=date(1971, 7, 17),
            )
        )
        session.flush()
    text = str(caught.value)
    assert "Zelda-Unique-Name" not in text
    assert "1971-07-17" not in text
    assert "hidden due to hide_parameters" in text
