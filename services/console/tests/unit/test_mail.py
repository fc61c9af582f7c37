"""How long a mail the relay did not take waits before it is tried again: doubling from 30 s, never more than an
hour, and never given up on."""

from datetime import timedelta

from console.domain.mail import retry_after


def test_a_mail_not_sent_is_tried_again_later_each_time_up_to_an_hour_apart():
    assert [retry_after(attempts) for attempts in (1, 2, 3, 4)] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_after(8) == timedelta(hours=1)
    assert retry_after(10_000) == timedelta(hours=1)
