"""POST /api/v1/uploads and the public, stripped renditions at /api/v1/photos/{id}/…"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, MultipartBody
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.deps import client_address
from backend.edge.compression import SKIP
from backend.errors import ApiError
from backend.settings import Settings
from backend.uploads.schemas import UploadOut
from backend.uploads.service import accept_upload, public_key, upload_out
from backend.uploads.storage import ObjectNotFound, ObjectStore

IMMUTABLE = "public, max-age=31536000, immutable"
RENDITIONS = frozenset({"display.jpg", "thumb.jpg"})


class UploadController(Controller):
    path = "/api/v1/uploads"
    tags = ["uploads"]

    @post(
        "/",
        summary="Upload a photo (JPEG, PNG, WebP, HEIC); the answer's gps is for the uploader only",
        status_code=201,
        responses={200: ResponseSpec(UploadOut, description="A retry under the same Idempotency-Key")},
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        data: MultipartBody[dict[str, Any]],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        store: NamedDependency[ObjectStore],
        settings: NamedDependency[Settings],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", pattern=r"^[\x21-\x7e]{1,128}$", required=False),
        ] = None,
    ) -> Response[UploadOut]:
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file_required")
        content = await upload.read()
        await upload.close()
        result = await accept_upload(
            db_session,
            store,
            settings,
            request.app.state.image_slots,
            principal.user_id,
            client_address(request, settings),
            content,
            idempotency_key,
        )
        return Response(upload_out(result.photo), status_code=201 if result.created else 200)


class PhotoController(Controller):
    path = "/api/v1/photos"
    tags = ["uploads"]

    @get(
        "/{photo_id:uuid}/{rendition:str}",
        summary="A stripped rendition: display.jpg or thumb.jpg",
        opt=SKIP,
        media_type="image/jpeg",
    )
    async def rendition(
        self, photo_id: FromPath[uuid.UUID], rendition: FromPath[str], store: NamedDependency[ObjectStore]
    ) -> Response[bytes]:
        if rendition not in RENDITIONS:
            raise ApiError(404, "not_found")
        try:
            data = await store.get(public_key(photo_id, rendition.removesuffix(".jpg")))
        except ObjectNotFound:
            raise ApiError(404, "not_found") from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": IMMUTABLE})
