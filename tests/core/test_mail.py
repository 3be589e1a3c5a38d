"""E-mails are sent by the worker, with retries, never inside the request (cpf/core/mail.py)."""

from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.db import connection, transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.core.mail import send_later

LINK = "http://testserver/compte/activation/MQ/cdefgh-0123456789abcdef/"


def email_jobs():
    return ProcrastinateJob.objects.filter(task_name="core.send_email").order_by("id")


def unreachable_smtp(settings) -> None:
    """A mail server that refuses connections: a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5


def bring_forward_the_retries() -> None:
    """The time of the next attempt has come (rather than waiting for it). The worker compares
    ``scheduled_at`` with PostgreSQL's clock, which a run with Python's clock shifted ahead
    (``CPF_TEST_CLOCK_SHIFT_DAYS``) does not move: the attempt is due at the database's now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() - interval '1 second' "
            "WHERE task_name = 'core.send_email' AND status = 'todo' AND scheduled_at IS NOT NULL"
        )


@pytest.mark.django_db
def test_an_e_mail_is_sent_by_the_worker_not_by_the_caller(deliver_emails, settings):
    settings.DEFAULT_FROM_EMAIL = "Compte Formation <ne-pas-repondre@compte-formation.example>"

    # when an e-mail is asked for
    send_later(subject="Confirmez votre adresse", body=f"Ouvrez {LINK}", to=["camille@example.fr"])

    # then nothing is sent yet: a job waits for the worker
    assert mail.outbox == []
    assert [(job.queue_name, job.status) for job in email_jobs()] == [("emails", "todo")]

    # and when the worker runs, the message goes out as asked
    deliver_emails()
    [message] = mail.outbox
    assert (message.subject, message.body, message.to, message.from_email) == (
        "Confirmez votre adresse",
        f"Ouvrez {LINK}",
        ["camille@example.fr"],
        "Compte Formation <ne-pas-repondre@compte-formation.example>",
    )
    assert [job.status for job in email_jobs()] == ["succeeded"]


@pytest.mark.django_db
def test_the_sender_and_reply_address_can_be_chosen(deliver_emails):
    send_later(
        subject="Objet",
        body="Corps",
        to=["a@example.fr", "b@example.fr"],
        from_email="support@compte-formation.example",
        reply_to=["agent@compte-formation.example"],
    )

    deliver_emails()

    [message] = mail.outbox
    assert (message.from_email, message.to, message.reply_to) == (
        "support@compte-formation.example",
        ["a@example.fr", "b@example.fr"],
        ["agent@compte-formation.example"],
    )


@pytest.mark.django_db
def test_the_job_keeps_the_message_sealed(deliver_emails):
    send_later(subject="Votre lien", body=f"Ouvrez {LINK}", to=["camille@example.fr"])

    [job] = email_jobs()
    stored = str(job.args)
    assert LINK not in stored
    assert "camille@example.fr" not in stored
    assert "Votre lien" not in stored


@pytest.mark.django_db
def test_no_e_mail_for_a_change_rolled_back(deliver_emails):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_later(subject="Objet", body="Corps", to=["camille@example.fr"])
        raise RuntimeError("the change fails after asking for its e-mail")

    deliver_emails()

    assert not email_jobs().exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_mail_server_out_of_reach_is_tried_again_later_until_it_answers(deliver_emails, settings):
    # given a mail server that refuses connections
    unreachable_smtp(settings)
    send_later(subject="Objet", body="Corps", to=["camille@example.fr"])

    # when the worker runs, the sending fails and is scheduled again later
    deliver_emails()
    [job] = email_jobs()
    assert (job.status, job.attempts) == ("todo", 1)
    # (later, not at once: a second pass of the worker right away leaves it waiting)
    deliver_emails()
    [job] = email_jobs()
    assert (job.status, job.attempts) == ("todo", 1)

    # and when its time has come and the server answers again, the e-mail goes out
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    bring_forward_the_retries()
    deliver_emails()
    assert [message.to for message in mail.outbox] == [["camille@example.fr"]]
    [job] = email_jobs()
    assert (job.status, job.attempts) == ("succeeded", 2)


@pytest.mark.django_db
def test_the_worker_gives_up_after_about_a_day_of_attempts(deliver_emails, settings):
    unreachable_smtp(settings)
    send_later(subject="Objet", body="Corps", to=["camille@example.fr"])

    for _ in range(8):
        deliver_emails()
        bring_forward_the_retries()

    [job] = email_jobs()
    assert (job.status, job.attempts) == ("failed", 8)


@pytest.mark.django_db
def test_an_error_that_waiting_cannot_heal_is_not_tried_again(deliver_emails):
    # a header broken by a line break: refused by Django's e-mail code itself
    send_later(subject="Objet\nBcc: tout-le-monde@example.fr", body="Corps", to=["camille@example.fr"])

    deliver_emails()

    [job] = email_jobs()
    assert (job.status, job.attempts) == ("failed", 1)
    assert mail.outbox == []
