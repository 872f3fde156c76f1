"""The background task that delivers due notifications while the app runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from sqlalchemy.orm import Session, sessionmaker

from precert.config import Settings
from precert.interop.subscriptions.delivery import deliver_due

log = logging.getLogger("precert.interop")


class DeliveryWorker:
    """Deliver due notifications every `subscriptions_poll_seconds` until stopped."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="subscription-deliveries")
        log.info("subscription.worker started poll=%ss", self.settings.subscriptions_poll_seconds)

    async def stop(self) -> None:
        """Stop after the round under way (a POST waits at most its timeout)."""
        self._stop.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(
                asyncio.shield(self._task), self.settings.subscriptions_timeout_seconds + 5
            )
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        timeout = self.settings.subscriptions_timeout_seconds
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            while not self._stop.is_set():
                try:
                    await deliver_due(
                        self.sessions, settings=self.settings, client=http, stop=self._stop
                    )
                except Exception:  # a database hiccup must not end deliveries for good
                    log.exception("subscription.worker_round_failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stop.wait(), self.settings.subscriptions_poll_seconds
                    )
