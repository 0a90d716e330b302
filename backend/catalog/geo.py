"""Coordinate helpers: GCJ-02 to WGS84, distances, search boxes."""

from __future__ import annotations

import math

import prcoords

EARTH_RADIUS_M = 6_371_008.8


def to_wgs84(lat: float, lng: float, crs: str) -> tuple[float, float]:
    """WGS84 for storage. GCJ-02 is inverted iteratively (prcoords' "bored" form, ~1 cm error)."""
    if crs == "gcj02":
        converted = prcoords.gcj_wgs_bored((lat, lng))
        return converted.lat, converted.lon
    return lat, lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def box_around(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing a circle: an index-friendly prefilter."""
    d_lat = math.degrees(radius_m / EARTH_RADIUS_M)
    d_lng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - d_lat, lat + d_lat, lng - d_lng, lng + d_lng
