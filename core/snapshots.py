"""Event evidence: the frame that matched and an annotated copy with the boxes and zone drawn."""

from __future__ import annotations

import cv2
import numpy as np
from django.core.files.base import ContentFile

from core.vision import Detection

MATCHED = (40, 40, 230)  # BGR red: what the rule counted
OTHER = (200, 200, 200)
ZONE = (0, 200, 255)


def annotate(image: np.ndarray, *, matched: list[Detection], others: list[Detection], zone: list) -> np.ndarray:
    """A copy of ``image`` with the rule's zone and every detection drawn on it."""
    out = image.copy()
    height, width = out.shape[:2]
    scale = max(width, height) / 1000
    thickness = max(1, round(2 * scale))
    if zone:
        points = np.array([[round(x * width), round(y * height)] for x, y in zone], dtype=np.int32)
        cv2.polylines(out, [points], isClosed=True, color=ZONE, thickness=thickness)
    for detections, colour in ((others, OTHER), (matched, MATCHED)):
        for d in detections:
            x1, y1, x2, y2 = (round(d.box[0] * width), round(d.box[1] * height),
                              round(d.box[2] * width), round(d.box[3] * height))  # fmt: skip
            cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
            text = f"{d.label} {d.confidence:.2f}"
            cv2.putText(out, text, (x1, max(y1 - 4, 12)), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale + 0.2, colour,
                        thickness, cv2.LINE_AA)  # fmt: skip
    return out


def jpeg_file(image: np.ndarray, quality: int = 85) -> ContentFile:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the snapshot could not be encoded")
    return ContentFile(encoded.tobytes())
