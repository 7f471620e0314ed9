"""Where the hospital finder has anything to offer: South Korea, its islands and the sea close around them.

The shipped table lists Korean hospitals only. From Tokyo the nearest is 934 km away: listing it as "nearest"
would send nobody anywhere useful, so a position outside Korea gets no list and a sentence saying the finder
covers Korea only. Distance alone cannot decide: Korean islands such as Ulleungdo (143 km), Baengnyeongdo
(175 km) or Dokdo (219 km) are farther from a hospital than Tsushima in Japan (95 km), yet their people are
exactly who needs the (far) list. So the test is a coarse outline of South Korea instead.

`KOREA_OUTLINE` is a hand-drawn polygon (lat, lon) of about 20 points: the land, Jeju, Ulleungdo, Dokdo, the
West Sea islands and roughly 10-40 km of sea around them, closed in the north along the armistice line (so
Kaesong and Pyongyang are outside) and in the south-east between Busan and Tsushima. It is deliberately coarse:
a point a few km off the real border may fall on either side. tests/hospitals/test_coverage.py pins the places
it must include (every shipped hospital, the islands) and exclude (Tokyo, Fukuoka, Tsushima, North Korea, China).
"""

from __future__ import annotations

from collections.abc import Sequence

KOREA_OUTLINE: tuple[tuple[float, float], ...] = (
    (38.05, 124.40),  # north-west of Baengnyeongdo
    (38.05, 124.95),
    (37.72, 125.45),  # between the Ongjin peninsula and Yeonpyeongdo
    (37.72, 125.80),
    (37.76, 126.20),  # Han river estuary, north of Ganghwado
    (37.95, 126.68),  # Panmunjom
    (38.28, 127.10),  # along the armistice line
    (38.30, 127.75),
    (38.33, 128.10),
    (38.62, 128.36),  # east coast at Goseong
    (38.62, 129.00),
    (37.90, 131.20),  # north of Ulleungdo
    (37.60, 132.10),  # around Dokdo
    (36.90, 132.10),
    (35.80, 130.00),
    (35.30, 129.60),  # east of Busan, west of Tsushima's north tip
    (34.75, 129.00),
    (34.35, 128.75),
    (33.60, 127.40),
    (32.95, 126.95),  # south of Jeju and Marado
    (32.95, 126.00),
    (33.70, 125.20),
    (34.00, 124.80),  # west of Gageodo
    (35.50, 124.40),
    (37.00, 124.30),
)


def point_in_polygon(lat: float, lon: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """Even-odd ray casting on (lat, lon) pairs: good enough for a polygon a few hundred km across."""
    inside = False
    count = len(polygon)
    for i in range(count):
        lat1, lon1 = polygon[i]
        lat2, lon2 = polygon[(i + 1) % count]
        if (lon1 > lon) != (lon2 > lon):
            crossing = lat1 + (lon - lon1) * (lat2 - lat1) / (lon2 - lon1)
            if lat < crossing:
                inside = not inside
    return inside


def in_korea(lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies in South Korea or the sea close around it (see the module's note)."""
    return point_in_polygon(lat, lon, KOREA_OUTLINE)
