"""POST /api/v1/auth/*: device tokens, SMS codes, staff login."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import service
from backend.accounts.schemas import Login, OtpRequest, OtpSent, OtpVerify, TokenOut
from backend.accounts.tokens import Principal
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.settings import Settings


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]
    cache_control = NO_STORE

    @post("/device", status_code=201, summary="An anonymous device token: reporting needs no personal data")
    async def device(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> TokenOut:
        return await service.register_device(db_session, settings, client_address(request, settings))

    @post("/otp", status_code=202, summary="Send a 6-digit code by SMS (rate-limited per phone and address)")
    async def send_otp(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[OtpRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
    ) -> OtpSent:
        resend_after = await service.send_otp(
            db_session, settings, request.app.state.sms, data.phone, client_address(request, settings), locale
        )
        return OtpSent(expires_in=settings.otp_ttl_seconds, resend_after=resend_after)

    @post(
        "/otp/verify",
        status_code=200,
        summary="Exchange phone + code for a citizen token; adopts the device's requests",
    )
    async def verify_otp(
        self,
        data: JSONBody[OtpVerify],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        optional_principal: NamedDependency[Principal | None],
    ) -> TokenOut:
        return await service.verify_otp(db_session, settings, data.phone, data.code, optional_principal)

    @post(
        "/login",
        status_code=200,
        summary="Staff and inspector login (throttled per username and address: 429 with Retry-After)",
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[Login],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> TokenOut:
        return await service.login(
            db_session, settings, data.username, data.password, client_address(request, settings)
        )

    @post("/logout", status_code=204, summary="Sign out: the token's session ends and the token is refused")
    async def logout(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await service.sign_out(db_session, principal)
