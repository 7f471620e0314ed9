"""Who is seen where when `melanoscan fit-gate` fits the not_a_lesion statistics: PAD-UFES-20 patients of odd hash
stay the reporting part they always were; the even-hash patients are split, by patient, into the phone-photo
class's fitting half and the threshold's choosing half; phone photos get one class of their own."""

from __future__ import annotations

from pathlib import Path

from melanoscan.training.data import PAD, TRAIN_CLASSES, Sample
from melanoscan.training.fit_gate import CHOOSE, FIT, PHONE_CLASS, REPORT, bucket, fit_label, pad_part


def pad_sample(patient: int, lesion: int, image: int) -> Sample:
    return Sample(Path(f"PAT_{patient}_{lesion}_{image}.jpg"), 1, PAD)


def test_pad_parts_split_by_patient_and_keep_the_report_half():
    samples = [pad_sample(p, p * 10 + i, i) for p in range(400) for i in range(2)]
    parts: dict[str, set[str]] = {FIT: set(), CHOOSE: set(), REPORT: set()}
    for sample in samples:
        patient = "_".join(sample.path.stem.split("_")[:2])
        part = pad_part(sample)
        parts[part].add(patient)
        assert (part == REPORT) == (bucket(patient, 2) == 1), "the reporting patients are the first gate's"
    assert not (parts[FIT] & parts[CHOOSE]) and not (parts[FIT] & parts[REPORT]) and not (parts[CHOOSE] & parts[REPORT])
    assert all(len(patients) > 60 for patients in parts.values())


def test_phone_photos_are_one_class_and_dermoscopy_keeps_its_own():
    assert fit_label("pad_ufes20", pad_sample(1, 2, 3)) == PHONE_CLASS
    dermoscopy = Sample(Path("ISIC_0000000.jpg"), 0)
    assert fit_label("isic2017_train", dermoscopy) == TRAIN_CLASSES[0]
