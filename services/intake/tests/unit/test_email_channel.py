"""Order emails become TMF622 requests: each sample gives its documented outcome, and no bytes make the parser raise."""

import hashlib
import io
import json
import random
import zipfile
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import Workbook

from intake.channels.email import MAX_PARTS, ParsedEmail, parse_order_email
from intake.domain.validation import Validation, validate
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.events.fallout import Finding
from orderdesk_stack.testing import xlsx_bomb

from ..builders import SEED_RULES

SAMPLES = Path(__file__).parents[1] / "samples"
TODAY = date(2026, 11, 28)
VALID = ["email_form_in_body.eml", "email_with_csv_form.eml", "email_with_xlsx_form.eml", "email_no_message_id.eml"]
HEADER = """Order Type: add
Account Number: ACC-10001
Contact Email: mbell@lakeshorefreight.example.com
Sales Rep: rep-001
Term Months: 36
"""
FORM = "Offering,Characteristic,Street,City,State,ZIP,MRC\r\n"


def _parse(name: str) -> ParsedEmail:
    return parse_order_email((SAMPLES / name).read_bytes())


def _outcome(parsed: ParsedEmail) -> Validation:
    order = to_canonical(ProductOrderCreate.model_validate(parsed.request), order_id="PO-1", submitted_by="email")
    return validate(order, SEED_RULES, today=TODAY)


def _codes(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(finding.reason_code, finding.field_path) for finding in findings]


def _email(body: str, *attachments: tuple[str, bytes, str]) -> bytes:
    message = EmailMessage()
    message["From"] = "Angela Moretti <angela.moretti@telco.example>"
    message["To"] = "orders@telco.example"
    message["Subject"] = "Order"
    message["Message-ID"] = "<test-0001@telco.example>"
    message.set_content(body)
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _xlsx(*rows: list) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name", VALID)
def test_a_valid_sample_is_a_complete_order(name):
    parsed = _parse(name)
    assert parsed.findings == []
    assert parsed.request["channel"] == [{"name": "email"}]
    assert parsed.request["externalId"] == parsed.message_id
    validation = _outcome(parsed)
    assert validation.findings == []
    assert (validation.order.channel, validation.order.external_id) == ("email", parsed.message_id)


def test_a_new_logo_form_in_the_body_lands_on_the_order():
    parsed = _parse("email_form_in_body.eml")
    assert parsed.message_id == "CAF3k9x2Vb7Q1mZ.84116@mail.telco.example"
    order = _outcome(parsed).order
    assert order.order_type == "new"
    account = order.account
    assert (account.id, account.legal_name, account.tax_id) == (None, "Harbor Point Logistics LLC", "36-4829105")
    assert account.billing_address.street == "180 N LASALLE ST STE 3700"
    assert [(c.name, c.email, c.phone) for c in order.contacts] == [
        ("José Delgado", "jose.delgado@harborpointlogistics.example.com", "+1 312 263 0100")
    ]
    assert [(rep.rep_id, rep.split_percent) for rep in order.sales_reps] == [("rep-004", 60), ("rep-003", 40)]
    assert (order.agreement.contract_id, order.agreement.term_months, order.agreement.signed_date) == (
        "MSA-2026-1412",
        36,
        date(2026, 11, 23),
    )
    assert order.requested_completion_date == date(2027, 1, 29)
    # The quoted reply below the signature ("Order Type: add", "Item 3 Offering: EVPL") is not read.
    dia, sip = order.items
    assert (dia.id, dia.action, dia.product_offering_id, dia.characteristics) == (
        "1",
        "add",
        "DIA-FIBER",
        {"bandwidth_mbps": 1000},
    )
    assert (dia.price.mrc, dia.price.nrc, dia.price.mrc_discount_percent) == (Decimal(2400), Decimal(750), 5)
    assert dia.location.address.street == "180 N LASALLE ST STE 3700"
    assert (sip.product_offering_id, sip.characteristics, sip.item_term_months, sip.price.mrc, sip.price.nrc) == (
        "SIP-TRUNK",
        {"channels": 23},
        36,
        Decimal(650),
        None,
    )


def test_an_existing_account_with_a_csv_form_takes_its_items_from_the_rows():
    parsed = _parse("email_with_csv_form.eml")
    order = _outcome(parsed).order
    assert (order.order_type, order.account.id, order.account.legal_name) == ("add", "ACC-10001", None)
    assert [(c.name, c.email) for c in order.contacts] == [("Marcus Bell", "mbell@lakeshorefreight.example.com")]
    assert [(rep.rep_id, rep.split_percent) for rep in order.sales_reps] == [("rep-001", 100)]
    assert order.requested_completion_date == date(2027, 1, 15)  # written 01/15/2027
    assert [(i.id, i.action, i.product_offering_id, i.characteristics) for i in order.items] == [
        ("1", "add", "EVPL", {"bandwidth_mbps": 1000}),
        ("2", "add", "MANAGED-WIFI", {"access_points": 10}),
        ("3", "add", "MANAGED-M365", {"seats": 50, "plan": "business-standard"}),
    ]
    evpl = order.items[0]
    assert (evpl.price.mrc, evpl.price.nrc, evpl.price.mrc_discount_percent) == (Decimal(1850), Decimal(500), 10)
    assert order.items[2].item_term_months == 36
    assert {item.location.address.street for item in order.items} == {"233 S WACKER DR STE 4400"}


def test_an_xlsx_form_is_read_below_its_title_row_with_percent_cells_as_percents():
    order = _outcome(_parse("email_with_xlsx_form.eml")).order
    assert order.account.id == "ACC-10017"
    assert [(rep.rep_id, rep.split_percent) for rep in order.sales_reps] == [("rep-011", 50), ("rep-013", 50)]
    assert [(i.product_offering_id, i.characteristics, i.price.mrc) for i in order.items] == [
        ("DIA-FIBER", {"bandwidth_mbps": 500}, Decimal(1495)),
        ("SDWAN-MANAGED", {"sites": 5}, Decimal(2250)),
        ("DIA-FIBER", {"bandwidth_mbps": 250}, Decimal("875.5")),
    ]
    assert order.items[0].price.mrc_discount_percent == 12  # a 12% cell, stored by Excel as 0.12
    assert [item.location.address.postcode for item in order.items] == ["46204", "46204", "46038"]
    assert order.items[1].item_term_months == 36


def test_an_xlsx_with_the_wrong_columns_names_each_and_gives_no_item():
    parsed = _parse("email_xlsx_wrong_columns.eml")
    at = "attachment[prairie_state_quote.xlsx].row[1]"
    assert _codes(parsed.findings) == [
        ("INCOMPLETE_DATA", f"{at}.Product"),
        ("INCOMPLETE_DATA", f"{at}.Bandwidth"),
        ("INCOMPLETE_DATA", f"{at}.Monthly Price"),
        ("INCOMPLETE_DATA", f"{at}.Offering"),
        ("INCOMPLETE_DATA", "productOrderItem"),
    ]
    assert "'Monthly Price'" in parsed.findings[2].message
    assert "no Offering column" in parsed.findings[3].message
    assert all(finding.fix for finding in parsed.findings)
    assert "productOrderItem" not in parsed.request
    assert parsed.request["orderType"] == "add"
    assert parsed.request["relatedParty"][0] == {"role": "customer", "id": "ACC-10002"}


def test_a_cut_off_attachment_is_a_finding_and_the_body_still_counts():
    parsed = _parse("email_broken_mime.eml")
    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "attachment[fulton_market_wifi.xlsx]")]
    assert "damaged" in parsed.findings[0].message
    validation = _outcome(parsed)
    assert validation.findings == []
    assert [(i.product_offering_id, i.characteristics) for i in validation.order.items] == [
        ("BUSINESS-TV", {"outlets": 6})
    ]


def test_without_a_message_id_the_id_is_the_hash_of_the_bytes():
    raw = (SAMPLES / "email_no_message_id.eml").read_bytes()
    parsed = parse_order_email(raw)
    assert parsed.message_id == f"sha256:{hashlib.sha256(raw).hexdigest()}"
    assert parsed.request["externalId"] == parsed.message_id
    order = _outcome(parsed).order
    assert (order.order_type, order.account.id, order.requested_completion_date) == (
        "disconnect",
        "ACC-10004",
        date(2026, 12, 31),
    )
    assert [(i.action, i.existing_product_id) for i in order.items] == [("delete", "PRD-512907")]


def test_a_csv_row_with_a_non_numeric_mrc_is_named_and_the_other_rows_count():
    form = (
        FORM
        + "EVPL,bandwidth_mbps=100,233 S Wacker Dr,Chicago,IL,60606,900\r\n"
        + "DIA-FIBER,bandwidth_mbps=500,233 S Wacker Dr,Chicago,IL,60606,call me\r\n"
        + ",,,,,,\r\n"
        + "MANAGED-WIFI,access_points=4,233 S Wacker Dr,Chicago,IL,60606,210\r\n"
    )
    parsed = parse_order_email(_email(HEADER, ("order.csv", form.encode(), "text/csv")))
    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "attachment[order.csv].row[3].MRC")]
    assert "'call me'" in parsed.findings[0].message
    validation = _outcome(parsed)
    assert [(i.product_offering_id, i.price.mrc if i.price else None) for i in validation.order.items] == [
        ("EVPL", Decimal(900)),
        ("DIA-FIBER", None),
        ("MANAGED-WIFI", Decimal(210)),
    ]
    assert _codes(validation.findings) == [("INCOMPLETE_DATA", "items[1].price.mrc")]


def test_an_unreadable_xlsx_is_a_finding_and_the_body_items_still_count():
    body = HEADER + "Item 1 Offering: EVPL\nItem 1 Characteristic: bandwidth_mbps=100\n"
    raw = _email(body, ("order.xlsx", b"PK\x03\x04 this is not a workbook", "application/octet-stream"))
    parsed = parse_order_email(raw)
    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "attachment[order.xlsx]")]
    assert "could not be opened" in parsed.findings[0].message
    assert [item["productOffering"]["id"] for item in parsed.request["productOrderItem"]] == ["EVPL"]


def test_an_old_excel_file_is_named_as_unreadable():
    raw = _email(HEADER, ("order.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "application/vnd.ms-excel"))
    assert _codes(parse_order_email(raw).findings) == [
        ("INCOMPLETE_DATA", "attachment[order.xls]"),
        ("INCOMPLETE_DATA", "productOrderItem"),
    ]


def test_an_xlsx_column_off_the_form_is_named_and_the_rest_is_read():
    data = _xlsx(
        ["Offering", "Characteristic", "Street", "City", "State", "ZIP", "MRC", "Notes"],
        ["EVPL", "bandwidth_mbps=100", "233 S Wacker Dr", "Chicago", "IL", 60606, 900, "rush"],
        ["EVPL", "bandwidth_mbps=500", "233 S Wacker Dr", "Chicago", "IL", 60606, "#VALUE!", None],
    )
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    parsed = parse_order_email(_email(HEADER, ("order.xlsx", data, kind)))
    assert _codes(parsed.findings) == [
        ("INCOMPLETE_DATA", "attachment[order.xlsx].row[1].Notes"),
        ("INCOMPLETE_DATA", "attachment[order.xlsx].row[3].MRC"),
    ]
    assert len(parsed.request["productOrderItem"]) == 2


def test_a_missing_or_unknown_order_type_and_no_item_are_findings():
    parsed = parse_order_email(_email("Account Number: ACC-10001\nPlease see below.\n"))
    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "orderType"), ("INCOMPLETE_DATA", "productOrderItem")]
    assert "orderType" not in parsed.request
    unknown = parse_order_email(_email("Order Type: upgrade\nItem 1 Offering: EVPL\n"))
    assert _codes(unknown.findings) == [("INCOMPLETE_DATA", "orderType")]
    assert "'upgrade'" in unknown.findings[0].message
    assert "orderType" not in unknown.request


def test_every_unreadable_value_is_named_where_it_was_written():
    body = (
        "order type :   NEW LOGO\n"
        "Term Months: thirty-six\n"
        "Requested Date: next Friday\n"
        "Sales Rep: rep-004 150%\n"
        "Item 1 Offering: dia-fiber\n"
        "Item 1 Action: upgrade\n"
        "Item 1 Quantity: two\n"
        "Item 1 Characteristic: 500 Mbps\n"
        "Item 1 City: Chicago\n"
        "Item 1 Discount %: ten\n"
    )
    parsed = parse_order_email(_email(body))
    assert parsed.request["orderType"] == "new"
    assert _codes(parsed.findings) == [
        ("INCOMPLETE_DATA", "body.Requested Date"),
        ("INCOMPLETE_DATA", "body.Sales Rep"),
        ("INCOMPLETE_DATA", "body.Term Months"),
        ("INCOMPLETE_DATA", "body.item[1].Action"),
        ("INCOMPLETE_DATA", "body.item[1].Quantity"),
        ("INCOMPLETE_DATA", "body.item[1].Characteristic"),
        ("INCOMPLETE_DATA", "body.item[1].Street"),
        ("INCOMPLETE_DATA", "body.item[1].Discount %"),
    ]
    item = parsed.request["productOrderItem"][0]
    assert (item["action"], item["productOffering"], item["product"]) == (
        "add",
        {"id": "DIA-FIBER"},
        {"productCharacteristic": []},
    )
    assert "agreement" not in parsed.request
    # Whatever could not be read is left out, so the request is still well-formed.
    to_canonical(ProductOrderCreate.model_validate(parsed.request), order_id="PO-1", submitted_by="email")


def test_a_multipart_without_its_boundary_is_read_as_raw_text_with_a_finding():
    raw = (
        b"Message-ID: <broken-1@telco.example>\r\n"
        b'Content-Type: multipart/mixed; boundary="never-there"\r\n\r\n'
        b"--something-else\r\nContent-Type: text/plain\r\n\r\n"
        b"Order Type: add\r\nAccount Number: ACC-10003\r\nItem 1 Offering: EVPL\r\n"
    )
    parsed = parse_order_email(raw)
    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "message")]
    assert (parsed.message_id, parsed.request["orderType"]) == ("broken-1@telco.example", "add")
    assert parsed.request["relatedParty"][0] == {"role": "customer", "id": "ACC-10003"}


def test_a_text_in_another_charset_than_declared_is_read_with_a_finding():
    def raw(charset: str, body: bytes) -> bytes:
        return (
            f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
            + b"Order Type: new\r\nCustomer Name: "
            + body
            + b"\r\nItem 1 Offering: EVPL\r\n"
        )

    utf8 = parse_order_email(raw("us-ascii", "Café Rouge LLC".encode()))
    assert _codes(utf8.findings) == [("INCOMPLETE_DATA", "body")]
    assert "read as UTF-8" in utf8.findings[0].message
    assert utf8.request["relatedParty"][0]["name"] == "Café Rouge LLC"
    windows = parse_order_email(raw("x-unknown-8bit", "Café Rouge LLC".encode("cp1252")))
    assert "read as Windows-1252" in windows.findings[0].message
    assert windows.request["relatedParty"][0]["name"] == "Café Rouge LLC"
    plain = parse_order_email(raw("x-unknown-8bit", b"Cafe Rouge LLC"))
    assert plain.findings == []
    control = parse_order_email(raw("utf-8", b"Caf\xe9\x00 Rouge\x1b LLC"))
    assert control.request["relatedParty"][0]["name"] == "Café Rouge LLC"


def test_an_html_only_email_is_read_from_its_text():
    message = EmailMessage()
    message["Message-ID"] = "<html-1@telco.example>"
    message.set_content(
        "<html><body><p>Order Type: add<br>Account Number: ACC-10001</p>"
        "<div>Item 1 Offering: EVPL</div><style>p { color: red }</style></body></html>",
        subtype="html",
    )
    parsed = parse_order_email(message.as_bytes())
    assert parsed.findings == []
    assert (parsed.request["orderType"], parsed.request["productOrderItem"][0]["productOffering"]) == (
        "add",
        {"id": "EVPL"},
    )


@pytest.mark.parametrize("raw", [b"", b"\xff\xfe", b"\x00" * 64, b"\r\n\r\n", b"Content-Type: multipart/mixed\r\n\r\n"])
def test_garbage_never_raises(raw):
    parsed = parse_order_email(raw)
    assert parsed.message_id == f"sha256:{hashlib.sha256(raw).hexdigest()}"
    assert ("INCOMPLETE_DATA", "orderType") in _codes(parsed.findings)
    assert ("INCOMPLETE_DATA", "productOrderItem") in _codes(parsed.findings)


def test_random_and_mangled_bytes_never_raise():
    rng = random.Random(20261128)
    samples = [path.read_bytes() for path in sorted(SAMPLES.glob("*.eml"))]
    inputs = [rng.randbytes(rng.randrange(1, 4000)) for _ in range(150)]
    for sample in samples:
        for _ in range(40):
            mangled = bytearray(sample[: rng.randrange(len(sample) + 1)])
            for _ in range(rng.randrange(8)):
                if mangled:
                    mangled[rng.randrange(len(mangled))] = rng.randrange(256)
            inputs.append(bytes(mangled))
    for raw in inputs:
        parsed = parse_order_email(raw)
        assert isinstance(parsed.message_id, str) and parsed.message_id
        assert parsed.request["channel"] == [{"name": "email"}]
        assert all(finding.reason_code == "INCOMPLETE_DATA" and finding.fix for finding in parsed.findings)
        stored = json.dumps([parsed.request, [finding.model_dump() for finding in parsed.findings]], ensure_ascii=False)
        stored.encode("utf-8")  # no undecodable characters left: the request and findings can be stored and sent
        assert "\\u0000" not in stored
        if "orderType" in parsed.request and "productOrderItem" in parsed.request:
            to_canonical(ProductOrderCreate.model_validate(parsed.request), order_id="PO-1", submitted_by="email")


def test_a_promotion_code_per_item_and_the_customer_s_ciac_are_read_from_the_form():
    raw = _email(
        "Order Type: new\nCustomer Name: Acme LLC\nCIAC: $20,000\n\n"
        "Item 1 Offering: HOSTED-VOICE\nItem 1 MRC: 600\nItem 1 Promotion Code: voiceswitch\n"
    )
    parsed = parse_order_email(raw)
    order = to_canonical(ProductOrderCreate.model_validate(parsed.request), order_id="PO-1", submitted_by="email")
    assert [item.promotion_code for item in order.items] == ["VOICESWITCH"]
    assert order.agreement.ciac == 20000


def test_an_xlsx_that_would_unpack_to_hundreds_of_megabytes_is_refused_unopened(monkeypatch):
    bomb = xlsx_bomb()
    assert len(bomb) < 1024 * 1024

    def opened(*_, **__):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", opened)
    parsed = parse_order_email(
        _email("Order Type: add\nAccount Number: ACC-10017\n", ("order.xlsx", bomb, "application/octet-stream"))
    )

    assert "order.xlsx unpacks to 209715200 bytes" in parsed.refusal


def test_an_email_of_more_mime_parts_than_any_order_email_is_refused():
    parts = [(f"note-{n}.txt", b"x", "application/octet-stream") for n in range(MAX_PARTS + 1)]

    parsed = parse_order_email(_email("Order Type: add\n", *parts))

    assert parsed.refusal == f"the email has more than {MAX_PARTS} MIME parts"


def test_an_ordinary_order_email_is_not_refused():
    assert _parse("email_with_xlsx_form.eml").refusal is None


def test_a_text_part_whose_headers_the_email_library_cannot_read_is_named_and_the_body_still_counts():
    message = EmailMessage()
    message["Message-ID"] = "<parts-1@telco.example>"
    message.set_content(HEADER + "Item 1 Offering: EVPL\n")
    message.add_attachment("a note", disposition="inline")
    raw = message.as_bytes().replace(b"Content-Disposition: inline", b"Content-Disposition: inline; a*", 1)

    parsed = parse_order_email(raw)

    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "part[2]")]
    assert parsed.findings[0].message == "part 2 of the email (text/plain) could not be read"
    assert [item["productOffering"]["id"] for item in parsed.request["productOrderItem"]] == ["EVPL"]


def test_an_email_nested_deeper_than_python_can_follow_is_named_as_unreadable():
    raw = b"Content-Type: message/rfc822\r\n\r\n" * 3000 + b"Order Type: add\r\nItem 1 Offering: EVPL\r\n"

    parsed = parse_order_email(raw)

    assert _codes(parsed.findings) == [
        ("INCOMPLETE_DATA", "message"),
        ("INCOMPLETE_DATA", "orderType"),
        ("INCOMPLETE_DATA", "productOrderItem"),
    ]
    assert "could not be read as an email message" in parsed.findings[0].message


def test_a_csv_field_past_the_csv_size_limit_names_its_row_and_the_rows_above_count():
    form = FORM + "EVPL,bandwidth_mbps=100,233 S Wacker Dr,Chicago,IL,60606,900\r\n" + "DIA-FIBER," + "x" * 200_000

    parsed = parse_order_email(_email(HEADER, ("order.csv", form.encode(), "text/csv")))

    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "attachment[order.csv].row[3]")]
    assert "could not be read from row 3 on (field larger than field limit" in parsed.findings[0].message
    assert [item["productOffering"]["id"] for item in parsed.request["productOrderItem"]] == ["EVPL"]


def test_an_xlsx_in_a_zip_version_python_cannot_open_is_named_as_unreadable():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buffer.getvalue())
    data[data.find(b"PK\x01\x02") + 6] = 100  # the central directory's "version needed to extract": 10.0

    parsed = parse_order_email(_email(HEADER, ("order.xlsx", bytes(data), "application/octet-stream")))

    assert _codes(parsed.findings) == [
        ("INCOMPLETE_DATA", "attachment[order.xlsx]"),
        ("INCOMPLETE_DATA", "productOrderItem"),
    ]
    assert "could not be opened as an Excel workbook" in parsed.findings[0].message


def test_a_characteristic_number_too_long_to_read_is_named_and_its_item_still_counts():
    parsed = parse_order_email(
        _email(HEADER + "Item 1 Offering: EVPL\nItem 1 Characteristic: bandwidth_mbps=" + "9" * 5000)
    )

    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "body.item[1].Characteristic")]
    assert "has a number too long to be read" in parsed.findings[0].message
    assert parsed.request["productOrderItem"][0]["productOffering"] == {"id": "EVPL"}


def test_a_date_not_on_the_calendar_is_named():
    parsed = parse_order_email(_email(HEADER + "Requested Date: 2/30/2027\nItem 1 Offering: EVPL\n"))

    assert _codes(parsed.findings) == [("INCOMPLETE_DATA", "body.Requested Date")]
    assert "requestedCompletionDate" not in parsed.request


def test_an_html_body_is_read_up_to_markup_the_html_parser_cannot_follow():
    message = EmailMessage()
    message["Message-ID"] = "<html-2@telco.example>"
    message.set_content(
        "<p>Order Type: add<br>Item 1 Offering: EVPL</p><![foo bar <p>Account Number: ACC-1</p>", subtype="html"
    )

    parsed = parse_order_email(message.as_bytes())

    assert (parsed.request["orderType"], parsed.request["relatedParty"][0]) == ("add", {"role": "customer"})
    assert [item["productOffering"]["id"] for item in parsed.request["productOrderItem"]] == ["EVPL"]
