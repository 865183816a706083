"""Result records (search/d/<doc>.bin): what search.js shows of a story it found. The parse stage
encodes the part made from a story's text (record_tail, kept in its grams); the index stage puts
the site-dependent head before it (story_record).
"""
from __future__ import annotations

import json


def display_text(text: str) -> str:
    return " ".join(text.split())


def record_bytes(record: dict) -> bytes:
    """A result record (d/<doc>.bin): compact JSON in UTF-16LE, two bytes for a Chinese
    character where UTF-8 takes three; search.js reads it as an ArrayBuffer. Keys in this order:
    t (title), u (URL path), d (date), c (columns), b (brand), x (text), f (folds, if any)."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-16-le", "surrogatepass")


def record_tail(text: str, folds: dict[str, str]) -> bytes:
    """The end of a story's record, from "x" on: the part made from its text, which the parse
    stage encodes once (and the parse cache keeps) rather than the index stage every time."""
    tail = {"x": display_text(text)}
    if folds:
        tail["f"] = folds
    return record_bytes(tail)[2:]  # without the opening brace (one UTF-16 unit)


def story_record(head: dict, tail: bytes) -> bytes:
    """record_bytes(head + {"x": …, "f": …}) of a story: the site-dependent head, then the tail
    (its grams' record_tail)."""
    return record_bytes(head)[:-2] + ",".encode("utf-16-le") + tail


def read_record(data: bytes) -> dict:
    return json.loads(data.decode("utf-16-le", "surrogatepass"))
