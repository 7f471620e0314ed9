"""What the service says to people, in English and Korean. One dict per language, same keys in each.

No Flask here: the screening core, the command line and the API all read these tables. (The web client
carries its own strings; these are the API's and the CLI's.) Probabilities are said in whole percent
("about 55%", "<1%", ">99%"), never with decimals and never as certainty.
"""

from __future__ import annotations

DEFAULT_LANG = "en"

EN: dict[str, object] = {
    "labels": {
        "melanoma": "melanoma",
        "nevus": "a benign mole (nevus)",
        "seborrheic_keratosis": "seborrheic keratosis",
    },
    "ok": "The photo looks most like {label} ({percent}). This is a screening result, not a diagnosis.",
    "ok_melanoma": (
        "The photo looks most like melanoma ({percent}). This is not a diagnosis, but please see a "
        "dermatologist soon. Hospitals with dermatology near you are listed on the map."
    ),
    "melanoma_alert": (
        "However, melanoma cannot be ruled out (melanoma {percent}): please have a dermatologist look at this "
        "spot. Hospitals with dermatology near you are listed on the map."
    ),
    "carcinoma_alert": (
        "It may also be another kind of skin cancer, or a pre-cancer, that this service cannot name: please have a "
        "dermatologist look at this spot."
    ),
    "hospitals_on_map": "Hospitals with dermatology near you are listed on the map.",
    "hospitals_korea_only": (
        "The hospital finder covers Korea only, and this place is outside Korea. Please ask a local doctor "
        "or your health service where to see a dermatologist."
    ),
    "about_percent": "about {percent}%",
    "retake": (
        "Please take the photo again: the result is not clear enough to report. Tips: hold the phone steady "
        "and tap the spot so it is in sharp focus; use bright, even daylight without flash glare or shadows; "
        "move closer so the spot fills most of the frame (about 10 cm away)."
    ),
    "retake_blank": (
        "Please take the photo again: it looks blank, with almost nothing in it (lens covered, too dark or "
        "washed out?). Use bright, even light and get close so the spot fills the middle of the frame."
    ),
    "retake_not_a_lesion": (
        "Please take the photo again: this does not look like a close-up of a skin spot (text, a screen, a "
        "scene or a face from afar cannot be screened). Photograph only the spot, about 10 cm away, so it fills "
        "the middle of the frame, in bright, even light."
    ),
    "retake_blurry": (
        "Please take the photo again: it is blurry. Hold the phone steady with both hands or rest your elbow, "
        "tap the spot on the screen to focus, and wait a moment before taking the photo."
    ),
    "retake_too_dark": (
        "Please take the photo again: it is too dark to see the spot. Move to bright daylight or a well-lit room; "
        "avoid your own shadow falling on the skin."
    ),
    "retake_overexposed": (
        "Please take the photo again: it is too bright or washed out (flash glare or direct sun). Turn the flash "
        "off and use bright but indirect light."
    ),
    "disclaimer": (
        "melanoscan is a screening aid, not a diagnosis and not a medical device. It learned from dermatoscope "
        "images, not phone photos, and knows only melanoma, moles and seborrheic keratosis, not other skin cancers. "
        "See a doctor about any spot that changes, grows, bleeds, itches or worries you, whatever this result says."
    ),
    "errors": {
        "missing_image": "Send the photo as a multipart/form-data field named 'image'.",
        "empty_file": "The uploaded file is empty.",
        "unsupported_content_type": "Send the photo as multipart/form-data with a field named 'image'.",
        "unsupported_media_type": "The file is not an image in a supported format (JPEG, PNG, WebP, HEIC).",
        "corrupt_image": "The image could not be decoded; it may be truncated or corrupt.",
        "image_too_small": "The image is too small; send a photo at least 32 pixels on each side.",
        "image_too_large": "The image is too large.",
        "payload_too_large": "The upload is too large.",
        "not_found": "There is nothing at this address.",
        "method_not_allowed": "This method is not allowed here.",
        "bad_request": "The request could not be understood.",
        "internal_error": "Something went wrong on our side. Please try again.",
        "not_ready": "The service is not ready.",
        "rate_limited": "Too many screenings from this client. Please try again in {retry_after} s.",
        "invalid_coordinates": "Give lat and lon as decimal degrees (WGS84), e.g. lat=37.5665&lon=126.978.",
        "invalid_limit": "limit must be a whole number from 1 to 50.",
        "invalid_dermatology": "dermatology must be true or false.",
        "invalid_order": "order must be dermatologist or distance.",
        "invalid_explain": "explain must be 1 or 0 (true or false).",
        "image_too_complex": (
            "The image file is built in a way that takes too long to decode. Send the camera's JPEG or HEIC."
        ),
        "request_timeout": "The request arrived too slowly and was closed. Please try again.",
        "uri_too_long": "The address is too long.",
        "header_fields_too_large": "The request headers are too large or too many.",
    },
}

KO: dict[str, object] = {
    "labels": {
        "melanoma": "흑색종",
        "nevus": "양성 점(모반)",
        "seborrheic_keratosis": "지루각화증",
    },
    "ok": "사진은 {label}에 가장 가깝습니다({percent}). 이것은 선별 결과이며 진단이 아닙니다.",
    "ok_melanoma": (
        "사진은 흑색종에 가장 가깝습니다({percent}). 진단은 아니지만 가능한 한 빨리 피부과 진료를 받으세요. "
        "가까운 피부과 병원을 지도에서 확인할 수 있습니다."
    ),
    "melanoma_alert": (
        "다만 흑색종 가능성을 배제할 수 없습니다(흑색종 {percent}). 이 점을 피부과 전문의에게 보여 주세요. "
        "가까운 피부과 병원을 지도에서 확인할 수 있습니다."
    ),
    "carcinoma_alert": (
        "이 서비스가 이름을 알려 드릴 수 없는 다른 종류의 피부암이나 전암 병변일 수도 있습니다. "
        "이 점을 피부과 전문의에게 보여 주세요."
    ),
    "hospitals_on_map": "가까운 피부과 병원을 지도에서 확인할 수 있습니다.",
    "hospitals_korea_only": (
        "병원 찾기는 한국 안에서만 쓸 수 있는데, 이 위치는 한국 밖입니다. "
        "현지 의사나 보건 기관에 피부과 진료를 받을 곳을 물어보세요."
    ),
    "about_percent": "약 {percent}%",
    "retake": (
        "다시 찍어 주세요. 결과가 알려 드릴 만큼 확실하지 않습니다. "
        "도움말: 휴대폰을 흔들리지 않게 잡고 점을 눌러 초점을 맞추세요. "
        "플래시 반사나 그림자 없이 밝고 고른 빛에서 찍으세요. "
        "점이 화면을 가득 채우도록 가까이(약 10cm) 다가가서 찍으세요."
    ),
    "retake_blank": (
        "다시 찍어 주세요. 사진이 거의 비어 있습니다(렌즈가 가려졌거나 너무 어둡거나 밝지 않나요?). "
        "밝고 고른 빛에서 점이 화면 가운데 크게 나오도록 가까이에서 찍어 주세요."
    ),
    "retake_not_a_lesion": (
        "다시 찍어 주세요. 피부의 점을 가까이서 찍은 사진으로 보이지 않습니다(글자, 화면, 풍경, 멀리서 찍은 얼굴은 "
        "확인할 수 없습니다). 점만 약 10cm 거리에서 화면 가운데를 채우도록 밝고 고른 빛에서 찍어 주세요."
    ),
    "retake_blurry": (
        "다시 찍어 주세요. 사진이 흐립니다. 휴대폰을 두 손으로 잡거나 팔꿈치를 받쳐 흔들리지 않게 하고, "
        "화면에서 점을 눌러 초점을 맞춘 뒤 잠시 기다렸다가 찍으세요."
    ),
    "retake_too_dark": (
        "다시 찍어 주세요. 너무 어두워서 점이 잘 보이지 않습니다. 밝은 햇빛 아래나 조명이 밝은 방에서 찍고, "
        "피부에 내 그림자가 지지 않게 하세요."
    ),
    "retake_overexposed": (
        "다시 찍어 주세요. 사진이 너무 밝거나 하얗게 날아갔습니다(플래시 반사나 직사광선). 플래시를 끄고 "
        "밝지만 직접 비치지 않는 빛에서 찍으세요."
    ),
    "disclaimer": (
        "멜라노스캔은 선별 보조 도구이며 진단이 아니고 의료기기도 아닙니다. 휴대폰 사진이 아닌 피부확대경 사진으로 "
        "학습했고 흑색종·모반·지루각화증만 알며 다른 피부암은 알아보지 못합니다. 결과와 관계없이 점이 변하거나 "
        "커지거나 피가 나거나 가렵거나 걱정된다면 의사의 진료를 받으세요."
    ),
    "errors": {
        "missing_image": "사진을 'image'라는 이름의 multipart/form-data 필드로 보내 주세요.",
        "empty_file": "업로드한 파일이 비어 있습니다.",
        "unsupported_content_type": "사진을 'image' 필드가 있는 multipart/form-data로 보내 주세요.",
        "unsupported_media_type": "지원하는 이미지 형식(JPEG, PNG, WebP, HEIC)이 아닙니다.",
        "corrupt_image": "이미지를 읽을 수 없습니다. 파일이 잘렸거나 손상되었을 수 있습니다.",
        "image_too_small": "이미지가 너무 작습니다. 가로세로 32픽셀 이상의 사진을 보내 주세요.",
        "image_too_large": "이미지가 너무 큽니다.",
        "payload_too_large": "업로드한 파일이 너무 큽니다.",
        "not_found": "이 주소에는 아무것도 없습니다.",
        "method_not_allowed": "이 주소에서는 허용되지 않는 요청 방식입니다.",
        "bad_request": "요청을 이해할 수 없습니다.",
        "internal_error": "서버에 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
        "not_ready": "서비스가 아직 준비되지 않았습니다.",
        "rate_limited": "요청이 너무 많습니다. {retry_after}초 후에 다시 시도해 주세요.",
        "invalid_coordinates": "위도(lat)와 경도(lon)를 십진수 도(WGS84)로 보내 주세요. 예: lat=37.5665&lon=126.978",
        "invalid_limit": "limit는 1에서 50 사이의 정수여야 합니다.",
        "invalid_dermatology": "dermatology는 true 또는 false여야 합니다.",
        "invalid_order": "order는 dermatologist 또는 distance여야 합니다.",
        "invalid_explain": "explain은 1 또는 0(true 또는 false)이어야 합니다.",
        "image_too_complex": (
            "이미지 파일 구조가 해석하는 데 너무 오래 걸리는 형태입니다. 카메라로 찍은 JPEG나 HEIC 파일을 보내 주세요."
        ),
        "request_timeout": "요청이 너무 느리게 도착해 연결을 닫았습니다. 다시 시도해 주세요.",
        "uri_too_long": "주소가 너무 깁니다.",
        "header_fields_too_large": "요청 헤더가 너무 크거나 너무 많습니다.",
    },
}

MESSAGES: dict[str, dict[str, object]] = {"en": EN, "ko": KO}
LANGS: tuple[str, ...] = tuple(MESSAGES)


def text(lang: str, key: str, **values: object) -> str:
    template = MESSAGES.get(lang, EN)[key]
    assert isinstance(template, str)
    return template.format(**values)


def label_name(lang: str, label: str) -> str:
    labels = MESSAGES.get(lang, EN)["labels"]
    assert isinstance(labels, dict)
    return str(labels.get(label, label))


def error_text(lang: str, code: str, fallback: str | None = None, **values: object) -> str:
    """English keeps the specific message it was raised with; other languages get the translated one.
    Without a fallback, every language (English too) gets the table's message, `values` filling its {fields}."""
    if lang == DEFAULT_LANG and fallback is not None:
        return fallback
    errors = MESSAGES.get(lang, EN)["errors"]
    assert isinstance(errors, dict)
    template = errors.get(code, fallback if fallback is not None else code)
    return str(template).format(**values) if values else str(template)


def percent(probability: float) -> str:
    """Whole percent for people, never claiming certainty: 0.998 is ">99", not "100"."""
    value = probability * 100
    if value >= 99.5:
        return ">99"
    if value < 0.5:
        return "<1"
    return f"{value:.0f}"


def say_percent(lang: str, probability: float) -> str:
    """A probability as people read it: "about 55%" / "약 55%", or "<1%" / ">99%" at the edges."""
    value = percent(probability)
    if value.startswith(("<", ">")):
        return f"{value}%"
    return text(lang, "about_percent", percent=value)
