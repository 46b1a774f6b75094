"""Legacy East-Asian encodings are detected, not read as Latin-1 (issue 11, item 7).

The files are written here in each encoding with Python's codecs; webvtt-py reads
the result.
"""

from __future__ import annotations

import pytest
import webvtt

from avpipe.captions import convert_to_webvtt, decode_caption_bytes
from avpipe.errors import CaptionError

LINES = {
    "gb18030": ["欢迎来到港口之旅。", "咖啡馆九点开门，午夜关门。", "请注意脚下的台阶。", "我们明天早上再见。"],
    "gbk": ["欢迎来到港口之旅。", "咖啡馆九点开门，午夜关门。", "请注意脚下的台阶。", "我们明天早上再见。"],
    "big5": ["歡迎來到港口之旅。", "咖啡館九點開門，午夜關門。", "請注意腳下的台階。", "我們明天早上再見。"],
    "shift_jis": [
        "港のツアーへようこそ。", "カフェは九時に開きます。", "足元にご注意ください。", "また明日の朝に会いましょう。"
    ],
    "euc_kr": [
        "항구 투어에 오신 것을 환영합니다.", "카페는 아홉 시에 문을 엽니다.",
        "발밑을 조심하세요.", "내일 아침에 다시 만나요.",
    ],
}


def srt(lines: list[str]) -> str:
    return "".join(f"{i + 1}\n00:00:0{i},000 --> 00:00:0{i},900\n{line}\n\n" for i, line in enumerate(lines))


@pytest.mark.parametrize("encoding", sorted(LINES))
def test_east_asian_srt_is_decoded_in_its_own_encoding(encoding: str) -> None:
    data = srt(LINES[encoding]).encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    (track,) = convert_to_webvtt(data).tracks

    assert [c.text for c in webvtt.from_string(track.text).captions] == LINES[encoding]


def test_a_file_too_short_to_tell_its_encoding_is_refused_with_a_sentence() -> None:
    data = "1\n00:00:01,000 --> 00:00:02,000\n港口\n".encode("gbk")

    with pytest.raises(CaptionError) as caught:
        decode_caption_bytes(data)

    assert str(caught.value) == (
        "The caption file is not UTF-8 and its text encoding could not be determined with "
        "confidence; save it as UTF-8 and upload it again."
    )


def test_western_code_pages_still_decode() -> None:
    data = srt(["Café crème brûlée", "Grüße aus München", "¿Dónde está?"]).encode("cp1252")

    (track,) = convert_to_webvtt(data).tracks

    assert [c.text for c in webvtt.from_string(track.text).captions] == [
        "Café crème brûlée", "Grüße aus München", "¿Dónde está?"]
