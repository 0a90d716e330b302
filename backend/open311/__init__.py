"""Open311 GeoReport v2: the cases as any Open311 client files and reads them."""
