"""No public answer gives away where exactly a report was made: they show and measure only the point
rounded to 4 decimals (~10 m). Checked as an attacker would: by trilateration from several queries."""

from __future__ import annotations

import math

import httpx
from litestar import Litestar

from backend.catalog.geo import distance_m
from tests.api.conftest import device_headers, submit

# Off the rounding grid on purpose: ~4.4 m north and ~4.8 m east of the rounded point.
EXACT = (30.27414, 120.15515)
COARSE = (30.2741, 120.1552)


def trilaterate(
    observations: list[tuple[float, float, float]], start: tuple[float, float]
) -> tuple[float, float]:
    """The point that best fits the distances (least squares by Gauss-Newton, in a local metric frame)."""
    lat0, lng0 = start
    m_lat = distance_m(lat0, lng0, lat0 + 1e-3, lng0) / 1e-3
    m_lng = distance_m(lat0, lng0, lat0, lng0 + 1e-3) / 1e-3
    x = y = 0.0
    anchors = [((lat - lat0) * m_lat, (lng - lng0) * m_lng, d) for lat, lng, d in observations]
    for _ in range(50):
        jtj = [[0.0, 0.0], [0.0, 0.0]]
        jtr = [0.0, 0.0]
        for ax, ay, d in anchors:
            r = math.hypot(x - ax, y - ay) or 1e-9
            jx, jy, res = (x - ax) / r, (y - ay) / r, r - d
            jtj[0][0] += jx * jx
            jtj[0][1] += jx * jy
            jtj[1][1] += jy * jy
            jtr[0] += jx * res
            jtr[1] += jy * res
        det = jtj[0][0] * jtj[1][1] - jtj[0][1] ** 2
        dx = (jtj[1][1] * jtr[0] - jtj[0][1] * jtr[1]) / det
        dy = (jtj[0][0] * jtr[1] - jtj[0][1] * jtr[0]) / det
        x, y = x - dx, y - dy
    return lat0 + x / m_lat, lng0 + y / m_lng


async def test_distances_come_from_the_coarse_point(client: httpx.AsyncClient, app: Litestar) -> None:
    await submit(client, await device_headers(client), location={"lat": EXACT[0], "lng": EXACT[1]})
    observations = []
    for d_lat, d_lng in ((0.004, 0), (-0.004, 0.001), (0.001, 0.005), (-0.002, -0.005), (0.003, -0.003)):
        lat, lng = EXACT[0] + d_lat, EXACT[1] + d_lng
        answer = await client.get(f"/api/v1/requests/nearby?lat={lat}&lng={lng}&radius_m=2000")
        (item,) = answer.json()["items"]
        assert (item["location"]["lat"], item["location"]["lng"]) == COARSE
        assert item["distance_m"] == round(distance_m(lat, lng, *COARSE))
        observations.append((lat, lng, float(item["distance_m"])))
    found = trilaterate(observations, (EXACT[0] + 0.001, EXACT[1] + 0.001))
    # Whole metres put the fit within ~1 m of the coarse point, and never near the exact one.
    assert distance_m(*found, *COARSE) < 1.5
    assert distance_m(*found, *EXACT) > 5.0


async def test_membership_follows_the_coarse_point(client: httpx.AsyncClient) -> None:
    """A report counts as "within r" by its coarse point, so shrinking r cannot bracket the exact one."""
    await submit(client, await device_headers(client), location={"lat": EXACT[0], "lng": EXACT[1]})
    to_coarse = distance_m(*EXACT, *COARSE)
    # A radius that reaches the coarse point but not the exact one, measured from the exact one...
    near = await client.get(
        f"/api/v1/requests/nearby?lat={EXACT[0]}&lng={EXACT[1]}&radius_m={to_coarse + 0.5}"
    )
    assert len(near.json()["items"]) == 1
    # ...and one from the exact point's far side that reaches it but not the coarse point: no answer.
    probe = (EXACT[0] + 0.0001, EXACT[1] - 0.0001)
    radius = (distance_m(*probe, *EXACT) + distance_m(*probe, *COARSE)) / 2
    assert distance_m(*probe, *EXACT) < radius < distance_m(*probe, *COARSE)
    far = await client.get(f"/api/v1/requests/nearby?lat={probe[0]}&lng={probe[1]}&radius_m={radius}")
    assert far.json()["items"] == []


async def test_followed_requests_show_the_coarse_point(client: httpx.AsyncClient) -> None:
    case = await submit(client, await device_headers(client), location={"lat": EXACT[0], "lng": EXACT[1]})
    follower = await device_headers(client)
    assert (await client.post(f"/api/v1/requests/{case['id']}/follow", headers=follower)).status_code == 200
    (item,) = (await client.get("/api/v1/requests/followed", headers=follower)).json()["items"]
    assert (item["location"]["lat"], item["location"]["lng"]) == COARSE
    assert "distance_m" not in item
