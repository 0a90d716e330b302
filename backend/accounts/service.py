"""Who someone is: anonymous devices, phone verification by SMS code, staff login."""

from __future__ import annotations

import hmac
import math
import re
import secrets
import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.models import AuthSession, OtpChallenge, User
from backend.accounts.passwords import hashed, needs_rehash, verified
from backend.accounts.schemas import ROLES, TokenOut
from backend.accounts.sms import SmsSender, SmsSendError
from backend.accounts.tokens import Principal, issue
from backend.audit import service as audit
from backend.cases.models import Case, CaseFollower
from backend.db import utcnow
from backend.digests import keyed_digest
from backend.errors import ApiError
from backend.i18n import translate
from backend.notify.models import Notification, PushSubscription
from backend.quotas import service as quotas
from backend.settings import Settings
from backend.uploads.models import Photo

MAX_OTP_ATTEMPTS = 5
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def normalize_phone(raw: str) -> str:
    """A mainland China mobile number as 11 digits; accepts +86/0086 and spaces or dashes."""
    digits = re.sub(r"[\s\-()]", "", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.match(digits):
        raise ApiError(422, "invalid_phone")
    return digits


# Sign-in throttling: the delay after the allowed failures doubles from this, up to the cap.
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 15 * 60


async def open_session(session: AsyncSession, settings: Settings, user: User) -> TokenOut:
    """A token for a new session of the user, written in the caller's transaction."""
    lifetime = {
        "device": timedelta(days=settings.device_token_days),
        "citizen": timedelta(days=settings.citizen_token_days),
    }.get(user.kind, timedelta(hours=settings.staff_token_hours))
    row = AuthSession(id=uuid.uuid4(), user_id=user.id, expires_at=utcnow() + lifetime)
    # Without relationships the unit of work does not order the two inserts: the user goes first.
    await session.flush()
    session.add(row)
    token = issue(user.id, row.id, user.kind, list(user.roles), settings.secret_key, row.expires_at)
    return TokenOut(
        token=token,
        token_type="Bearer",
        expires_at=row.expires_at.isoformat(),
        user_id=str(user.id),
        kind=user.kind,
        roles=list(user.roles),
    )  # type: ignore[arg-type]


async def register_device(session: AsyncSession, settings: Settings, address: str) -> TokenOut:
    async with session.begin():
        await quotas.take(
            session,
            quotas.bucket(settings, "device-address", address),
            settings.devices_per_address_per_hour,
            timedelta(hours=1),
            utcnow(),
        )
        user = User(id=uuid.uuid4(), kind="device", roles=["citizen"])
        session.add(user)
        return await open_session(session, settings, user)


async def prune_sessions(session: AsyncSession, now: datetime) -> int:
    """Sessions whose token has expired can never be used again."""
    result = await session.execute(delete(AuthSession).where(AuthSession.expires_at < now))
    return result.rowcount or 0


async def sign_out(session: AsyncSession, principal: Principal) -> None:
    """Ends the session the caller's token belongs to: that token is refused from now on."""
    async with session.begin():
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == principal.session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


async def send_otp(
    session: AsyncSession, settings: Settings, sender: SmsSender, raw_phone: str, address: str, locale: str
) -> int:
    """Send a 6-digit code. Returns the seconds until another may be sent."""
    phone = normalize_phone(raw_phone)
    phone_digest = keyed_digest(settings, "phone", phone)
    address_digest = keyed_digest(settings, "address", address)
    now = utcnow()
    hour_ago = now - timedelta(hours=1)
    async with session.begin():
        recent = (
            await session.execute(
                select(func.count(), func.max(OtpChallenge.created_at)).where(
                    OtpChallenge.phone_digest == phone_digest, OtpChallenge.created_at > hour_ago
                )
            )
        ).one()
        by_address = await session.scalar(
            select(func.count()).where(
                OtpChallenge.address_digest == address_digest, OtpChallenge.created_at > hour_ago
            )
        )
        retry_after = 0
        if recent[1] is not None:
            retry_after = max(
                retry_after, _seconds_until(recent[1], settings.otp_phone_interval_seconds, now)
            )
        if (
            recent[0] >= settings.otp_per_phone_per_hour
            or (by_address or 0) >= settings.otp_per_address_per_hour
        ):
            retry_after = max(retry_after, 3600 - settings.otp_phone_interval_seconds)
        if retry_after > 0:
            raise ApiError(
                429, "otp_rate_limited", headers={"Retry-After": str(retry_after)}, retry_after=retry_after
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        session.add(
            OtpChallenge(
                phone_digest=phone_digest,
                address_digest=address_digest,
                code_digest=keyed_digest(settings, "otp", phone + code),
                created_at=now,
                expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
            )
        )
        text = translate("sms.otp", locale, code=code, minutes=settings.otp_ttl_seconds // 60)
        try:
            await sender.send(phone, text)
        except SmsSendError as exc:
            raise ApiError(503, "sms_unavailable") from exc
    return settings.otp_phone_interval_seconds


def _seconds_until(last: datetime, interval: int, now: datetime) -> int:
    elapsed = (now - last).total_seconds()
    return max(0, int(interval - elapsed + 0.999))


async def verify_otp(
    session: AsyncSession, settings: Settings, raw_phone: str, code: str, device: Principal | None
) -> TokenOut:
    phone = normalize_phone(raw_phone)
    now = utcnow()
    citizen: User | None = None
    token: TokenOut | None = None
    moved = 0
    async with session.begin():
        challenge = await session.scalar(
            select(OtpChallenge)
            .where(
                OtpChallenge.phone_digest == keyed_digest(settings, "phone", phone),
                OtpChallenge.consumed_at.is_(None),
                OtpChallenge.expires_at > now,
            )
            .order_by(OtpChallenge.created_at.desc())
            .limit(1)
        )
        if challenge is None or challenge.attempts >= MAX_OTP_ATTEMPTS:
            raise ApiError(422, "otp_invalid")
        if not hmac.compare_digest(challenge.code_digest, keyed_digest(settings, "otp", phone + code)):
            # Counted in a committed transaction: guessing costs one of the few attempts.
            challenge.attempts += 1
        else:
            challenge.consumed_at = now
            citizen = await session.scalar(select(User).where(User.phone == phone))
            if citizen is None:
                citizen = User(id=uuid.uuid4(), kind="citizen", roles=["citizen"], phone=phone)
                session.add(citizen)
                await session.flush()
            if device is not None and device.kind == "device":
                moved = await _adopt_device(session, device, citizen)
            token = await open_session(session, settings, citizen)
    if token is None:
        raise ApiError(422, "otp_invalid")
    return msgspec.structs.replace(token, moved_requests=moved)


async def _adopt_device(session: AsyncSession, device: Principal, citizen: User) -> int:
    """The anonymous device's requests, photos, follows, inbox and push subscriptions now belong to the
    verified citizen."""
    result = await session.execute(
        update(Case).where(Case.reporter_id == device.user_id).values(reporter_id=citizen.id)
    )
    await session.execute(update(Photo).where(Photo.owner_id == device.user_id).values(owner_id=citizen.id))
    already = select(CaseFollower.case_id).where(CaseFollower.user_id == citizen.id)
    await session.execute(
        delete(CaseFollower).where(CaseFollower.user_id == device.user_id, CaseFollower.case_id.in_(already))
    )
    await session.execute(
        update(CaseFollower).where(CaseFollower.user_id == device.user_id).values(user_id=citizen.id)
    )
    # A message both had (one reported, the other followed) stays once.
    both = select(Notification.event_id).where(Notification.user_id == citizen.id)
    await session.execute(
        delete(Notification).where(Notification.user_id == device.user_id, Notification.event_id.in_(both))
    )
    # A browser both had subscribed stays once, the citizen's.
    browsers = select(PushSubscription.endpoint).where(PushSubscription.user_id == citizen.id)
    await session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == device.user_id, PushSubscription.endpoint.in_(browsers)
        )
    )
    for owned in (Notification, PushSubscription):
        await session.execute(update(owned).where(owned.user_id == device.user_id).values(user_id=citizen.id))
    await session.execute(update(User).where(User.id == device.user_id).values(merged_into_id=citizen.id))
    return result.rowcount or 0


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str, address: str
) -> TokenOut:
    """Staff sign-in, throttled per username and per address; failures go to the audit log.

    The password is checked off the event loop (argon2 takes tens of milliseconds of CPU on purpose),
    and not at all while the caller must wait.
    """
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    by_user = quotas.bucket(settings, "login-user", username)
    by_address = quotas.bucket(settings, "login-address", address)
    async with session.begin():
        wait = max(
            await _login_wait(session, by_user, settings.login_max_failures_per_user, window, now),
            await _login_wait(session, by_address, settings.login_max_failures_per_address, window, now),
        )
        user = (
            None
            if wait
            else await session.scalar(select(User).where(User.username == username, User.kind == "staff"))
        )
    if wait:
        quotas.refuse(wait, "login_throttled")
    ok = await verified(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        async with session.begin():
            quotas.record(session, by_user, now)
            quotas.record(session, by_address, now)
            audit.record(
                session,
                settings,
                user.id if user else None,
                "auth.login_failed",
                address,
                details={"reason": "inactive" if ok and user else "credentials"},
            )
        raise ApiError(401, "invalid_credentials")
    rehashed = await hashed(password) if user.password_hash and needs_rehash(user.password_hash) else None
    async with session.begin():
        await quotas.forget(session, by_user)
        if rehashed:
            await session.execute(update(User).where(User.id == user.id).values(password_hash=rehashed))
        audit.record(session, settings, user.id, "auth.login", address)
        return await open_session(session, settings, user)


async def _login_wait(
    session: AsyncSession, bucket: str, free_failures: int, window: timedelta, now: datetime
) -> int:
    """Seconds the caller must still wait: none for the first failures, then a doubling delay."""
    count, _, last = await quotas.window_use(session, bucket, now - window)
    if count < free_failures or last is None:
        return 0
    delay = min(FIRST_DELAY_SECONDS * 2 ** (count - free_failures), MAX_DELAY_SECONDS)
    return max(0, math.ceil((last + timedelta(seconds=delay) - now).total_seconds()))


async def create_staff_user(session: AsyncSession, username: str, password: str, roles: list[str]) -> User:
    """Create, or update the password and roles of, a staff or inspector account."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise ValueError(
            f"unknown roles: {', '.join(unknown) or '(none given)'}; choose from {', '.join(ROLES)}"
        )
    password_hash = await hashed(password)
    async with session.begin():
        user = await session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(kind="staff", username=username)
            session.add(user)
        user.roles = sorted(set(roles))
        user.password_hash = password_hash
        user.is_active = True
    return user
