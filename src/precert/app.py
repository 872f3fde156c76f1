"""create_app(settings): routers, error handlers, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from precert.admin.pages import router as admin_pages
from precert.claims.views import router as claims_router
from precert.common.fields import field_name
from precert.config import Settings
from precert.db import make_engine, make_sessionmaker
from precert.errors import DomainError, FieldProblem, validation_error
from precert.interop.cds_hooks.views import router as cds_hooks_router
from precert.interop.dtr.views import router as dtr_router
from precert.interop.fhir.views import router as fhir_router
from precert.interop.subscriptions.views import router as subscriptions_router
from precert.interop.subscriptions.worker import DeliveryWorker
from precert.interop.x12.views import router as x12_router
from precert.participants.pages import router as participant_pages
from precert.participants.views import router as participants_router
from precert.policy.loader import default_policy_book, load_policy_book
from precert.precerts.pages import router as precert_pages
from precert.precerts.views import router as precerts_router
from precert.users.pages import router as portal_router
from precert.web.templating import STATIC_DIR

log = logging.getLogger("precert")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the engine is created at start-up, not at import."""
    settings = settings or Settings()
    _configure_logging(settings.log_level)
    policies = (
        load_policy_book(settings.policy_dir) if settings.policy_dir else default_policy_book()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        # FHIR subscription notifications are delivered in the background while the app runs.
        worker = DeliveryWorker(app.state.sessions, settings)
        if settings.subscriptions_worker:
            worker.start()
        try:
            yield
        finally:
            await worker.stop()
            engine.dispose()

    app = FastAPI(
        title="precert",
        summary="MO HealthNet pre-certification for chronic pain therapies",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.policies = policies
    app.include_router(precerts_router)
    _declare_bearer_auth(app)
    app.include_router(participants_router)
    app.include_router(claims_router)
    app.include_router(fhir_router)
    app.include_router(dtr_router)
    app.include_router(subscriptions_router)
    app.include_router(cds_hooks_router)
    app.include_router(x12_router)
    app.include_router(portal_router)
    app.include_router(precert_pages)
    app.include_router(participant_pages)
    app.include_router(admin_pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _declare_bearer_auth(app: FastAPI) -> None:
    """Tell OpenAPI clients (and /docs' Authorize button) that the API takes bearer tokens."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"}
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _configure_logging(level: str) -> None:
    """Send precert's structured events to stderr once (identifiers only, never PHI)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level.upper())


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            FieldProblem(field_name(tuple(e["loc"][1:]) or tuple(e["loc"])), str(e["msg"]))
            for e in exc.errors()
        ]
        err = validation_error(problems)
        return JSONResponse(err.as_dict(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return JSONResponse({"error": code, "detail": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.failed path=%s", request.url.path)
        return JSONResponse(
            {"error": "INTERNAL_ERROR", "detail": "An unexpected error occurred; it was logged."},
            status_code=500,
        )
