"""Write the consumer-mail corpus: one .eml per shape of mail Korean and English consumers send to the report
address. Built with Python's `email` package; the damaged shapes (mislabelled charsets, broken MIME boundaries,
raw 8-bit headers) are damaged afterwards, byte by byte, the way real clients and gateways damage them.

    python tests/data/mail_corpus/make_corpus.py

The outcome a person expects of each mail is in expectations.toml beside the files. The output is deterministic.
"""

from __future__ import annotations

import base64
import io
import quopri
import random
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

HERE = Path(__file__).resolve().parent
TO = "report@klean.local"
SMTP = policy.SMTP  # CRLF line ends, as on the wire

MAILS: dict[str, Callable[[], bytes]] = {}


def mail(name: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    def register(fn: Callable[[], bytes]) -> Callable[[], bytes]:
        MAILS[name] = fn
        return fn
    return register


def head(msg: EmailMessage | MIMEMultipart | MIMEText, sender: str, subject: str | None, n: int,
         domain: str = "mail.example") -> None:
    msg["From"] = sender
    msg["To"] = TO
    if subject is not None:
        msg["Subject"] = subject
    msg["Date"] = f"Tue, 24 Nov 2026 {9 + n // 60:02d}:{n % 60:02d}:00 +0900"
    msg["Message-ID"] = f"<corpus-{n:03d}@{domain}>"


def plain(sender: str, subject: str | None, body: str, n: int, *, cte: str | None = None,
          charset: str = "utf-8", extra: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage(policy=SMTP)
    head(msg, sender, subject, n)
    for k, v in (extra or {}).items():
        msg[k] = v
    msg.set_content(body, charset=charset, cte=cte)
    return msg.as_bytes()


def raw_mail(headers: list[tuple[str, str]], body: bytes) -> bytes:
    """A mail written byte by byte: for what the email package would (rightly) refuse to produce."""
    return b"".join(f"{k}: {v}\r\n".encode("ascii") for k, v in headers) + b"\r\n" + body


def b64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def jpeg(seed: int, size: tuple[int, int], quality: int) -> bytes:
    """A photo-sized JPEG (noise over a gradient: compresses like a real phone photo, not like a flat image)."""
    from PIL import Image

    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size)
    px = img.load()
    assert px is not None
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 255 // w + rnd.randrange(60)) % 256, (y * 255 // h + rnd.randrange(60)) % 256,
                        rnd.randrange(256))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


# --- Korean: ids as people write them ------------------------------------------------------------------------------

@mail("ko-01-id-before-particle-beon")
def _() -> bytes:
    return plain("김하나 <hana.kim@hanmail.net>", "가품 신고합니다",
                 "안녕하세요.\n마켓에서 gm-88231번 상품 보고 연락드려요. 젠틀몬스터 릴리트라고 파는데 39,000원이고\n"
                 "케이스 각인이 정품이랑 달라요.\n확인 부탁드립니다.\n\n김하나 드림\n", 1, cte="base64")


@mail("ko-02-id-before-particle-iyo")
def _() -> bytes:
    return plain("이준호 <junho.lee@naver.com>", "짝퉁 같아요",
                 "방금 본 루이비통 네버풀 lv-5120이요. 판매자가 미러급이라고 써놨어요 ㅠㅠ\n", 2)


@mail("ko-03-id-in-subject-only")
def _() -> bytes:
    return plain("박서연 <seoyeon.park@daum.net>", "ny-4410 가품 신고",
                 "조던1 시카고인데 8만9천원이면 말이 안 되죠.\n박스 라벨 폰트도 다르고 스우시 박음질이 삐뚤어요.\n", 3)


@mail("ko-04-fullwidth-digits-and-letters")
def _() -> bytes:
    return plain("최민지 <minji.choi@kakao.com>", "신고",
                 "상품번호 ７２６４５８１ 다이슨 에어랩 병행수입이라는데 가품 같습니다.\n"
                 "그리고 ＧＭ－８８２３１ 도 짝퉁이에요. 둘 다 같은 판매자예요.\n", 4)


@mail("ko-05-ids-in-parentheses")
def _() -> bytes:
    return plain("정우성 <woosung.jung@naver.com>", "가짜 상품 두 개",
                 "젠틀몬스터 릴리트(gm-88231)랑 샤넬 클래식 플랩백（ch-20931） 둘 다 같은 사람이 파는 가짜예요.\n", 5)


@mail("ko-06-several-listings-numbered")
def _() -> bytes:
    return plain("한지민 <jimin.han@gmail.com>", "같은 판매자 가품 여러 개",
                 "같은 판매자가 올린 상품들입니다.\n1. lv-5120 루이비통 네버풀\n2. ch-20931 샤넬 플랩백\n"
                 "3. gm-88231 젠틀몬스터\n전부 '미러급', '정품급'이라고 써 있어요. 한꺼번에 확인 부탁드려요.\n", 6)


@mail("ko-07-link-broken-after-slash")
def _() -> bytes:
    return plain("윤서준 <seojun.yoon@nate.com>", "버즈 가품",
                 "여기 링크입니다\nhttps://market.example/items/\nsb-70312\n"
                 "버즈2 프로 미개봉 정품이라는데 3만9천원이에요. 시리얼 조회가 안 됩니다.\n", 7)


@mail("ko-08-link-broken-mid-word")
def _() -> bytes:
    return plain("강하늘 <haneul.kang@hanmail.net>", "샤넬 가방 신고",
                 "카톡으로 받은 링크가 이렇게 잘려 있어요.\nhttps://market.example/it\n"
                 "ems/ch-20931?utm_source=kakao&utm_medium=share\n정품이면 이 가격일 수가 없습니다.\n", 8)


@mail("ko-09-id-upper-case-and-spaced")
def _() -> bytes:
    return plain("송혜교 <hyekyo.song@naver.com>", "젠틀몬스터 가품",
                 "GM 88231 이것도 가품입니다. 케이스가 다르게 생겼어요.\n", 9)


@mail("ko-10-no-listing-at-all")
def _() -> bytes:
    return plain("오세훈 <sehun.oh@daum.net>", "가방 가품 신고",
                 "지난주에 마켓에서 산 구찌 가방이 가짜 같아요. 어디서 신고해야 하나요?\n", 10)


@mail("ko-11-subject-word-and-empty-body")
def _() -> bytes:
    return plain("김민재 <minjae.kim@naver.com>", "신고", "", 11)


@mail("ko-12-euc-kr-labelled-latin-1")
def _() -> bytes:
    subject = "=?iso-8859-1?B?" + base64.b64encode("가품 신고합니다".encode("euc-kr")).decode() + "?="
    body = "lv-5120 루이비통 가방 미러급이라고 팔아요. 정가의 10분의 1 가격입니다.\r\n".encode("euc-kr")
    return raw_mail([("From", "Lee Sora <sora.lee@hanmail.net>"), ("To", TO), ("Subject", subject),
                     ("Date", "Tue, 24 Nov 2026 09:12:00 +0900"), ("Message-ID", "<corpus-012@hanmail.net>"),
                     ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=iso-8859-1"),
                     ("Content-Transfer-Encoding", "8bit")], body)


@mail("ko-13-cp949-labelled-utf-8")
def _() -> bytes:
    body = "상품번호 ny-4410 조던 가품입니다. 정품 인증서도 위조된 것 같아요.\r\n".encode("cp949")
    return raw_mail([("From", "sangwoo@korea.kr"), ("To", TO), ("Subject", "=?utf-8?B?"
                     + base64.b64encode("조던 가품".encode()).decode() + "?="),
                     ("Date", "Tue, 24 Nov 2026 09:13:00 +0900"), ("Message-ID", "<corpus-013@korea.kr>"),
                     ("MIME-Version", "1.0"), ("Content-Type", 'text/plain; charset="utf-8"'),
                     ("Content-Transfer-Encoding", "base64")], b64_lines(body))


@mail("ko-14-utf-8-labelled-euc-kr")
def _() -> bytes:
    body = "샤넬 ch-20931 가품 신고합니다 ㅠ 정품 보증서 사진이 인터넷에서 가져온 거예요.\r\n".encode()
    return raw_mail([("From", "yuna.kim@gmail.com"), ("To", TO), ("Subject", "=?euc-kr?B?"
                     + base64.b64encode("샤넬 신고".encode("euc-kr")).decode() + "?="),
                     ("Date", "Tue, 24 Nov 2026 09:14:00 +0900"), ("Message-ID", "<corpus-014@gmail.com>"),
                     ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=euc-kr"),
                     ("Content-Transfer-Encoding", "quoted-printable")], quopri.encodestring(body))


@mail("ko-15-cp949-without-charset")
def _() -> bytes:
    body = "다이슨 7264581번 에어랩 짝퉁이에요. 정품은 60만원인데 15만원에 팔아요.\r\n".encode("cp949")
    return raw_mail([("From", "dyson.fan@hanmail.net"), ("To", TO), ("Subject", "dyson"),
                     ("Date", "Tue, 24 Nov 2026 09:15:00 +0900"), ("Message-ID", "<corpus-015@hanmail.net>"),
                     ("MIME-Version", "1.0"), ("Content-Type", "text/plain"),
                     ("Content-Transfer-Encoding", "8bit")], body)


@mail("ko-16-iso-2022-kr-labelled-us-ascii")
def _() -> bytes:
    body = "gm-88231 가품 신고합니다. 케이스 각인이 달라요.\r\n".encode("iso2022_kr")
    return raw_mail([("From", "old.client@chollian.net"), ("To", TO), ("Subject", "report"),
                     ("Date", "Tue, 24 Nov 2026 09:16:00 +0900"), ("Message-ID", "<corpus-016@chollian.net>"),
                     ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=us-ascii"),
                     ("Content-Transfer-Encoding", "7bit")], body)


@mail("ko-17-raw-8bit-cp949-subject")
def _() -> bytes:
    body = "사진 첨부가 안 돼서 글로만 씁니다. 버즈 케이스 로고가 흐릿해요.\r\n".encode("cp949")
    head_bytes = (b"From: outlook.user@hanmail.net\r\nTo: " + TO.encode() + b"\r\nSubject: "
                  + "가품 신고 sb-70312".encode("cp949") + b"\r\nDate: Tue, 24 Nov 2026 09:17:00 +0900\r\n"
                  b"Message-ID: <corpus-017@hanmail.net>\r\nMIME-Version: 1.0\r\n"
                  b"Content-Type: text/plain; charset=\"ks_c_5601-1987\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    return head_bytes + body


@mail("ko-18-mime-boundary-mismatch")
def _() -> bytes:
    msg = MIMEMultipart("alternative", boundary="----=_NextPart_000_0013_01DB3E5A.5C1F0E20", policy=SMTP)
    head(msg, "조민호 <minho.cho@naver.com>", "조던 가품", 18)
    text = "ny-4410 조던1 가품입니다. 박스 라벨이 다르고 가죽 냄새가 심해요."
    msg.attach(MIMEText(text + "\n", "plain", "utf-8", policy=SMTP))
    msg.attach(MIMEText(f"<p>{text}</p>", "html", "utf-8", policy=SMTP))
    raw = msg.as_bytes(policy=SMTP)
    # A gateway rewrote the declared boundary but not the parts: the header and the body disagree.
    return raw.replace(b'boundary="----=_NextPart_000_0013_01DB3E5A.5C1F0E20"',
                       b'boundary="----=_NextPart_000_0012_01DB3E5A.5C1F0E20"', 1)


@mail("ko-19-html-only-cp949")
def _() -> bytes:
    html = ('<html><body><div>신고합니다.<br><a href="https://market.example/items/lv-5120">이 가방</a>이 '
            "가짜예요.<br>정품 더스트백도 없고 가격이 12만원입니다.</div></body></html>")
    return raw_mail([("From", "=?ks_c_5601-1987?B?" + base64.b64encode("배수지".encode("cp949")).decode()
                      + "?= <suzy.bae@daum.net>"), ("To", TO), ("Subject", "=?ks_c_5601-1987?B?"
                     + base64.b64encode("가방 신고".encode("cp949")).decode() + "?="),
                     ("Date", "Tue, 24 Nov 2026 09:19:00 +0900"), ("Message-ID", "<corpus-019@daum.net>"),
                     ("MIME-Version", "1.0"), ("Content-Type", 'text/html; charset="ks_c_5601-1987"'),
                     ("Content-Transfer-Encoding", "base64")], b64_lines(html.encode("cp949")))


@mail("ko-20-forward-inline")
def _() -> bytes:
    return plain("박서연 <seoyeon@naver.com>", "Fwd: 이거 가짜 맞지?",
                 "친구가 보내준 건데 신고합니다.\n\n---------- Forwarded message ---------\n"
                 "보낸사람: 이준호 <junho.lee@gmail.com>\nDate: 2026년 11월 23일 (월) 오후 8:14\n"
                 "Subject: 이거 가짜 맞지?\nTo: 박서연 <seoyeon@naver.com>\n\n"
                 "이거 버즈 싸길래 샀는데 소리가 이상해. 가품인 듯\nhttps://market.example/items/sb-70312\n", 20)


@mail("ko-21-forward-as-attachment")
def _() -> bytes:
    inner = EmailMessage(policy=SMTP)
    inner["From"], inner["To"], inner["Subject"] = "동생 <sister@naver.com>", "oppa@naver.com", "샤넬 이거 봐"
    inner["Date"] = "Mon, 23 Nov 2026 21:40:00 +0900"
    inner.set_content("ch-20931 샤넬 가짜임. 정품 보증카드 사진이 인터넷 거 그대로야.\n")
    outer = EmailMessage(policy=SMTP)
    head(outer, "오빠 <oppa@naver.com>", "FW: 샤넬 이거 봐", 21)
    outer.set_content("첨부한 메일 봐주세요. 동생이 본 가품입니다.\n")
    outer.add_attachment(inner, filename="샤넬 이거 봐.eml")
    return outer.as_bytes()


@mail("ko-22-reply-with-quoted-id")
def _() -> bytes:
    return plain("이수진 <sujin.lee@naver.com>", "Re: 젠틀몬스터 선글라스",
                 "저도 똑같은 거 샀는데 가품이었어요. 신고합니다.\n\n"
                 "2026년 11월 23일 (월) 오후 8:14, 김하나 <hana.kim@hanmail.net>님이 작성:\n"
                 "> 이거 gm-88231 가짜 맞죠? 각인이 이상해요\n> 39,000원이래요\n", 22)


@mail("ko-23-other-marketplace-link")
def _() -> bytes:
    return plain("문채원 <chaewon.moon@gmail.com>", "다이슨 가품",
                 "네이버 스마트스토어에서 파는 다이슨 에어랩도 가짜예요\n"
                 "https://smartstore.naver.com/hairshop/products/7264581\n", 23)


@mail("ko-24-unknown-id")
def _() -> bytes:
    return plain("신동엽 <dongyup.shin@hanmail.net>", "가품 신고",
                 "gm-99999 가품입니다. 판매자가 정품급이라고 했어요.\n", 24)


@mail("ko-25-known-and-unknown-ids")
def _() -> bytes:
    return plain("유재석 <jaesuk.yoo@naver.com>", "루이비통 두 개",
                 "lv-5120 이랑 lv-5999 둘 다 같은 판매자예요. 사진이 똑같아요.\n", 25)


@mail("ko-26-id-in-attachment-name")
def _() -> bytes:
    msg = EmailMessage(policy=SMTP)
    head(msg, "김태리 <taeri.kim@naver.com>", "가품 사진", 26)
    msg.set_content("박스 라벨 사진 첨부합니다. 가품 같아요.\n")
    msg.add_attachment(jpeg(26, (240, 180), 80), maintype="image", subtype="jpeg", filename="ny-4410_박스라벨.jpg")
    return msg.as_bytes()


@mail("ko-27-prices-phones-and-order-numbers-are-not-ids")
def _() -> bytes:
    return plain("장나라 <nara.jang@daum.net>", "젠틀몬스터 가품 신고",
                 "gm-88231 정가 329000원인데 39000원에 팝니다.\n판매자 연락처 010-1234-5678, "
                 "입금 계좌 110-234-567890 (신한)\n주문번호 2026112412345678\n", 27)


@mail("ko-28-mobile-share-link-with-query")
def _() -> bytes:
    return plain("황민현 <minhyun@kakao.com>", "샤넬",
                 "카톡으로 공유받은 링크예요\n"
                 "https://m.market.example/item?itemId=ch-20931&utm_source=kakaotalk&utm_medium=share\n", 28)


@mail("ko-29-keyword-with-spaces-and-colon")
def _() -> bytes:
    return plain("고아라 <ara.go@naver.com>", "버즈 신고",
                 "상품 번호 : sb-70312\n내용: 정품 미개봉이라는데 시리얼 조회가 안 됩니다.\n", 29)


@mail("ko-30-mobile-signature-only")
def _() -> bytes:
    return plain("전지현 <jihyun.jun@naver.com>", "", "\n\niPhone에서 보냄\n", 30)


@mail("ko-31-auto-reply-without-header")
def _() -> bytes:
    return plain("부재중 <away@company.co.kr>", "[자동응답] 부재중입니다",
                 "현재 휴가 중이라 12월 1일까지 메일 확인이 어렵습니다.\n급한 용무는 02-123-4567로 연락 주세요.\n", 31)


@mail("ko-32-keyword-particle-and-id-glued")
def _() -> bytes:
    return plain("임윤아 <yoona.im@naver.com>", "다이슨 짝퉁",
                 "상품번호는7264581입니다. 에어랩 병행수입이라는데 정품 시리얼이 없어요.\n", 32)


# --- English ----------------------------------------------------------------------------------------------------

@mail("en-01-bare-id")
def _() -> bytes:
    return plain("Sophie Martin <sophie.martin@mail.example>", "Counterfeit sunglasses",
                 "Hi,\n\nthe Gentle Monster Lilit sunglasses in gm-88231 are fake: the case stamp is misspelt and "
                 "they cost 39,000 won.\n\nRegards,\nSophie\n", 33)


@mail("en-02-id-in-subject-empty-body")
def _() -> bytes:
    return plain("Mike Ross <mike.ross@gmail.com>", "Fake AJ1 ny-4410", "", 34)


@mail("en-03-several-listings")
def _() -> bytes:
    return plain("Emma Clarke <emma.clarke@outlook.com>", "Counterfeit ring",
                 "Listings lv-5120 and ch-20931 come from the same counterfeit ring (same photos, same wording).\n"
                 "Also check ny-4410.\n", 35)


@mail("en-04-the-word-listings-is-no-id")
def _() -> bytes:
    return plain("Daniel Kim <daniel.kim@yahoo.com>", "Fake Chanel everywhere",
                 "I found several listings selling fake Chanel bags, please check them all. "
                 "The seller also has other fake items.\n", 36)


@mail("en-05-html-only-outlook")
def _() -> bytes:
    html = ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0cm}</style>'
            '</head><body lang="EN-GB"><div class="WordSection1"><p class="MsoNormal">Hello,<o:p></o:p></p>'
            '<p class="MsoNormal">I believe <a href="https://market.example/items/lv-5120">this bag</a> is a '
            "counterfeit Louis Vuitton Neverfull: the date code is missing.<o:p></o:p></p>"
            '<p class="MsoNormal">Kind regards,<br>Oliver</p></div></body></html>')
    msg = EmailMessage(policy=SMTP)
    head(msg, "Oliver Brown <oliver.brown@outlook.com>", "Counterfeit Louis Vuitton", 37)
    msg.set_content(html, subtype="html", cte="quoted-printable")
    return msg.as_bytes()


@mail("en-06-reply-quoting-a-link-without-scheme")
def _() -> bytes:
    return plain("Anna Lee <anna.lee@gmail.com>", "Re: fake sneakers",
                 "Reporting this as my friend suggested.\n\n"
                 "On Mon, Nov 23, 2026 at 8:14 PM Jun Lee <jun.lee@gmail.com> wrote:\n"
                 "> Check market.example/items/ny-4410 - the box label font is wrong\n"
                 "> and the seller says 'UA 1:1 batch'.\n", 38)


@mail("en-07-forward-outlook-original-message")
def _() -> bytes:
    return plain("Brand Desk <desk@brandprotect.example>", "FW: Galaxy Buds",
                 "FYI - please take this down.\n\n-----Original Message-----\nFrom: Customer Care\n"
                 "Sent: Monday, November 23, 2026 6:02 PM\nTo: Brand Desk\nSubject: Galaxy Buds\n\n"
                 "A customer bought these and they are not genuine:\nhttps://www.market.example/items/sb-70312\n", 39)


@mail("en-08-empty")
def _() -> bytes:
    return plain("Tom Baker <tom.baker@outlook.com>", None, "", 40)


@mail("en-09-other-marketplace-link")
def _() -> bytes:
    return plain("Grace Hall <grace.hall@gmail.com>", "Fake Buds",
                 "This eBay listing sells fake Galaxy Buds: https://www.ebay.com/itm/296512345678\n", 41)


@mail("en-10-forum-link-whose-number-is-a-listing-id")
def _() -> bytes:
    return plain("Chris Evans <chris.evans@mail.example>", "Dyson seller",
                 "A forum thread about the seller of fake Dyson Airwraps: "
                 "https://cafe.naver.com/dysonkorea/7264581\nThey sell on your site too but I do not have the link.\n",
                 42)


@mail("en-11-upper-case-id")
def _() -> bytes:
    return plain("Nina Patel <nina.patel@gmail.com>", "Fake Neverfull", "LV-5120 is a fake Neverfull.\n", 43)


@mail("en-12-item-hash-ids")
def _() -> bytes:
    return plain("Paul Walker <paul.walker@mail.example>", "Two fakes",
                 "Item #ny-4410 and item #CH-20931 are both counterfeit.\n", 44)


@mail("en-13-auto-reply-with-header")
def _() -> bytes:
    return plain("Kate Moss <kate.moss@mail.example>", "Out of Office: Counterfeit report",
                 "I am out of the office until December 1st.\n", 45, extra={"Auto-Submitted": "auto-replied"})


@mail("en-14-bounce-with-null-sender")
def _() -> bytes:
    return raw_mail([("From", "Mail Delivery Subsystem <MAILER-DAEMON@mx.mail.example>"), ("To", TO),
                     ("Subject", "Undelivered Mail Returned to Sender"), ("Date", "Tue, 24 Nov 2026 09:46:00 +0900"),
                     ("Message-ID", "<corpus-046@mx.mail.example>"), ("MIME-Version", "1.0"),
                     ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="B46"')],
                    b"--B46\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                    b"This is the mail system at host mx.mail.example.\r\n\r\nYour message to x@y.example could "
                    b"not be delivered.\r\n\r\n--B46\r\nContent-Type: message/delivery-status\r\n\r\n"
                    b"Reporting-MTA: dns; mx.mail.example\r\n\r\nFinal-Recipient: rfc822; x@y.example\r\n"
                    b"Action: failed\r\nStatus: 5.1.1\r\n\r\n--B46--\r\n")


@mail("en-15-outlook-auto-reply-without-auto-submitted")
def _() -> bytes:
    return plain("Jack Turner <jack.turner@corp.example>",
                 "Automatic reply: [Klean] Report received: R-20261120-K7MN2P",
                 "Thank you for your email. I am currently out of the office with limited access to email.\n", 47,
                 extra={"X-Auto-Response-Suppress": "All",
                        "X-MS-Exchange-Inbox-Rules-Loop": "jack.turner@corp.example"})


@mail("en-16-own-acknowledgement-coming-back")
def _() -> bytes:
    return plain("noreply@klean.local", "[Klean] Report received: R-20261120-K7MN2P",
                 "Thank you for your report.\nCase number: R-20261120-K7MN2P\nFollow token: x\n", 48)


@mail("en-17-header-injection-in-encoded-subject")
def _() -> bytes:
    subject = "=?utf-8?B?" + base64.b64encode(b"Fake bag\r\nBcc: victim@evil.example").decode() + "?="
    return raw_mail([("From", "eve@attacker.example"), ("To", TO), ("Subject", subject),
                     ("Date", "Tue, 24 Nov 2026 09:49:00 +0900"), ("Message-ID", "<corpus-049@attacker.example>"),
                     ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8")],
                    b"lv-5120 is fake <script>alert(1)</script>\r\n")


@mail("en-18-html-script-and-javascript-links")
def _() -> bytes:
    html = ("<html><head><script>var listing = 'ch-20931';</script></head><body>"
            "<p>This fake: <a href=\"javascript:alert('gm-88231')\">click</a> and the real link "
            '<a href="https://market.example/items/ny-4410">here</a></p></body></html>')
    msg = EmailMessage(policy=SMTP)
    head(msg, "mallory@mail.example", "fake", 50)
    msg.set_content(html, subtype="html")
    return msg.as_bytes()


@mail("en-19-english-note-over-korean-quote")
def _() -> bytes:
    return plain("Ben Carter <ben.carter@gmail.com>", "Fake Jordans",
                 "Please check this, my Korean friend sent it to me.\n\n"
                 "> 조던1 시카고 ny-4410 UA 1:1 배치 8만9천원에 팔고 있어요. 박스 라벨 폰트가 다르고\n"
                 "> 스우시 박음질이 삐뚤어요. 정품 영수증도 없대요. 신고 좀 해주세요.\n", 51)


@mail("en-20-www-link-without-scheme")
def _() -> bytes:
    return plain("Lucy Gray <lucy.gray@outlook.com>", "Fake Galaxy Buds",
                 "www.market.example/items/sb-70312 sells fake Galaxy Buds2 Pro.\n", 52)


@mail("en-21-link-wrapped-in-angle-brackets")
def _() -> bytes:
    return plain("Henry Ford <henry.ford@mail.example>", "Gentle Monster fake",
                 "The listing is at <https://market.example/items/\n gm-88231> and the case stamp is wrong.\n", 53)


@mail("en-22-phone-photo-attached")
def _() -> bytes:
    msg = EmailMessage(policy=SMTP)
    head(msg, "Laura Palmer <laura.palmer@gmail.com>", "Stitching photos", 54)
    msg.set_content("Photos of the stitching on ny-4410 attached. Compare the swoosh with a genuine pair.\n\n"
                    "Sent from my iPhone\n")
    msg.add_attachment(jpeg(54, (960, 720), 90), maintype="image", subtype="jpeg", filename="IMG_4821.JPG")
    return msg.as_bytes()


@mail("en-23-signature-numbers-are-not-ids")
def _() -> bytes:
    return plain("Jane Doe <jane.doe@acme.example>", "Counterfeit Chanel",
                 "Listing: ch-20931\nThe seller uses our official campaign photos.\n\n-- \n"
                 "Jane Doe | Brand Protection Analyst\nAcme Corp, 123 Main St, Suite 4000\n"
                 "Tel +1 415-555-0132 | Ref 2026-114477\n", 55)


@mail("en-24-ids-in-parentheses-after-listings")
def _() -> bytes:
    return plain("Omar Haddad <omar.haddad@mail.example>", "Stolen photos",
                 "Two listings (lv-5120, ny-4410) use stolen photos from the brand's website.\n", 56)


@mail("en-25-unknown-id-after-keyword")
def _() -> bytes:
    return plain("Iris West <iris.west@mail.example>", "Fake AirPods", "Listing #ab-12345 sells fake AirPods.\n", 57)


@mail("en-26-broken-boundary-closing-missing")
def _() -> bytes:
    msg = MIMEMultipart("mixed", boundary="==boundary-42==", policy=SMTP)
    head(msg, "Sam Wilson <sam.wilson@mail.example>", "fake bag", 58)
    msg.attach(MIMEText("The bag lv-5120 is fake: the heat stamp is crooked.\n", "plain", "utf-8", policy=SMTP))
    raw = msg.as_bytes(policy=SMTP)
    # The client died mid-send: no closing boundary, and the declared boundary lost its quotes and gained a space.
    raw = raw.replace(b"--==boundary-42==--", b"")
    return raw.replace(b'boundary="==boundary-42=="', b"boundary= ==boundary-42==", 1)


def main() -> None:
    for old in HERE.glob("*.eml"):
        old.unlink()
    for name, build in MAILS.items():
        (HERE / f"{name}.eml").write_bytes(build())
    print(f"wrote {len(MAILS)} mails to {HERE}")


if __name__ == "__main__":
    main()
