"""The holder's e-mails of every step of the file (cpf/bookings/emails.py): one queued in the
transaction of each transition, none for a refused one; their texts, word for word."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.bookings import emails, purchase_codes, services
from cpf.bookings.enums import TIMED, RegistrationStatus
from cpf.bookings.models import MAIN_LINE, Registration
from cpf.bookings.purchase_codes import send_purchase_code
from cpf.bookings.services import MACHINE, ProposalChanges
from cpf.referentials.models import Commune
from tests.bookings.support import (
    FRIDAY_BEFORE_WHIT_MONDAY,
    allowed_holder,
    bookable_session,
    paris,
    requested,
)

pytestmark = pytest.mark.django_db
S = RegistrationStatus
NBSP = "\xa0"
LATER = FRIDAY_BEFORE_WHIT_MONDAY + datetime.timedelta(hours=2)

# Every transition of the table, and the subject of the e-mail it sends the holder.
SUBJECTS = {
    (S.NOT_PROCESSED, S.VALIDATED): "Proposition de l'organisme à valider",
    (S.NOT_PROCESSED, S.REFUSED_BY_ORGANISM): "Demande d'inscription refusée par l'organisme",
    (S.NOT_PROCESSED, S.REJECTED): "Demande d'inscription annulée : délai dépassé",
    (S.NOT_PROCESSED, S.CANCELED_BY_ATTENDEE): "Demande d'inscription retirée",
    (S.VALIDATED, S.ACCEPTED): "Inscription confirmée",
    (S.VALIDATED, S.REFUSED_BY_ATTENDEE): "Proposition refusée",
    (S.VALIDATED, S.REJECTED): "Proposition annulée : délai dépassé",
    (S.VALIDATED, S.CANCELED_BY_ORGANISM): "Proposition retirée par l'organisme",
    (S.ACCEPTED, S.IN_TRAINING): "Entrée en formation",
    (S.ACCEPTED, S.CANCELED_BY_ATTENDEE): "Inscription annulée",
    (S.ACCEPTED, S.CANCELED_BY_ORGANISM): "Formation annulée par l'organisme",
    (S.ACCEPTED, S.CANCELED_BY_FINANCER): "Formation annulée",
    (S.ACCEPTED, S.CANCELED_BY_ATTENDEE_NOT_REALIZED): "Formation annulée : non réalisée",
    (S.IN_TRAINING, S.TERMINATED): "Sortie de formation",
    (S.TERMINATED, S.SERVICE_DONE_DECLARED): "Service fait déclaré par l'organisme",
    (S.SERVICE_DONE_DECLARED, S.SERVICE_DONE_VALIDATED): "Formation terminée",
}
TITLE = "Développeur web et web mobile"


def email_jobs() -> int:
    return ProcrastinateJob.objects.filter(queue_name="emails").count()


def a_file(holder) -> Registration:
    """A request of ``holder`` sent on Friday 14 May 2027, in Lyon (2nd arrondissement)."""
    session = bookable_session()
    action = session.action
    action.commune = Commune.objects.filter(postal_code="69002").first()
    action.save()
    provider = action.training.provider
    provider.legal_name = "Académie du Numérique"
    provider.save()
    return requested(holder, session)


def move(registration: Registration, to: str, *, now: datetime.datetime = LATER) -> Registration:
    """Through the machine, with the fields the database requires in ``to``."""
    fields: dict[str, object] = {"deadline_at": now + datetime.timedelta(days=5) if to in TIMED else None}
    if to == S.REFUSED_BY_ORGANISM:
        fields["refusal_reason_code"] = "session_full"
    if to == S.IN_TRAINING:
        fields["entry_date"] = registration.start_date
    due = now + datetime.timedelta(days=7) if to == S.SERVICE_DONE_DECLARED else None
    fields.update(validation_due_at=due, correctable_until=due)
    return MACHINE.transition(registration, to=to, actor=None, reason="Motif de test", now=now, fields=fields)


def walk_to(registration: Registration, status: str) -> Registration:
    for step in MAIN_LINE[1 : MAIN_LINE.index(status) + 1]:
        registration = move(registration, step)
    return registration


def test_the_table_is_covered():
    assert set(SUBJECTS) == set(MACHINE.table)


@pytest.mark.parametrize(("source", "target"), list(SUBJECTS))
def test_each_transition_queues_exactly_one_email_to_the_holder(holder, deliver_emails, source, target):
    registration = walk_to(a_file(holder), source)
    deliver_emails()
    mail.outbox.clear()
    jobs = email_jobs()

    move(registration, target)

    assert email_jobs() == jobs + 1
    deliver_emails()
    [message] = mail.outbox
    assert message.to == [holder.user.email]
    assert message.subject == f"{SUBJECTS[source, target]} – {TITLE}"
    assert f"Dossier n° {registration.pk}\n" in message.body
    assert f"http://testserver/compte/dossiers/{registration.pk}/\n" in message.body


def test_a_refused_transition_sends_nothing(holder):
    registration = a_file(holder)
    jobs = email_jobs()

    with pytest.raises(services.TransitionNotAllowed):
        MACHINE.transition(registration, to=S.IN_TRAINING, actor=None, reason="", now=LATER)
    with pytest.raises(services.StartTooSoon):
        services.validate_registration(
            registration=registration,
            actor=None,
            now=LATER,
            changes=ProposalChanges(start_date=datetime.date(2027, 5, 20)),
        )

    assert email_jobs() == jobs


def test_a_refused_request_sends_nothing(terms):
    session = bookable_session(seats=1)
    requested(allowed_holder(terms, 1), session)
    jobs = email_jobs()

    with pytest.raises(services.SessionFull):
        requested(allowed_holder(terms, 2), session)

    assert email_jobs() == jobs


def sent(deliver_emails, work) -> str:
    """The one e-mail ``work`` queues, delivered: its subject and body."""
    deliver_emails()
    mail.outbox.clear()
    work()
    deliver_emails()
    [message] = mail.outbox
    return f"{message.subject}\n\n{message.body}"


SUMMARY = """Formation : Développeur web et web mobile
Organisme : Académie du Numérique
Session : du lundi {start} 2027 au jeudi 30 septembre 2027
Lieu : en présentiel, 3 place Bellecour, 69002 Lyon
Durée : 120 heures
Prix : {price}\xa0€
Dossier n° {n}"""


def summary(n: int, *, start: str = "5 juillet", price: str = "2 400,00") -> str:
    """The file's summary; amounts are written with non-breaking spaces."""
    return SUMMARY.format(n=n, start=start, price=price.replace(" ", NBSP))


def test_text_of_the_request_sent(holder, deliver_emails):
    registration = None

    def work():
        nonlocal registration
        registration = a_file(holder)

    text = sent(deliver_emails, work)

    n = registration.pk
    assert (
        text
        == f"""Demande d'inscription envoyée – Développeur web et web mobile

Bonjour Camille,

Votre demande d'inscription est envoyée à l'organisme de formation. Il
l'examine et vous fera une proposition, ou vous dira pourquoi il ne peut pas
vous inscrire. Aucun euro de vos droits n'est engagé à ce stade.

{summary(n)}

L'organisme doit répondre au plus tard le mercredi 19 mai 2027.

Votre dossier : http://testserver/compte/dossiers/{n}/

L'équipe Compte Formation
"""
    )


def test_text_of_a_proposal_the_provider_changed(holder, deliver_emails):
    registration = a_file(holder)
    changes = ProposalChanges(price_cents=2_100_00, start_date=datetime.date(2027, 7, 12))

    text = sent(
        deliver_emails,
        lambda: services.validate_registration(
            registration=registration, actor=None, now=LATER, changes=changes
        ),
    )

    n = registration.pk
    assert (
        text
        == f"""Proposition de l'organisme à valider – Développeur web et web mobile

Bonjour Camille,

Proposition de l'organisme : l'organisme de formation a modifié votre demande
(dates, prix ou durée). Vérifiez les conditions ci-dessous : elles remplacent
celles de votre demande. Pour confirmer votre inscription, validez-la depuis
votre dossier ; si elle ne vous convient pas, refusez-la.

{summary(n, start="12 juillet", price="2 100,00")}

Proposition à valider au plus tard le vendredi 21 mai 2027.

Votre dossier : http://testserver/compte/dossiers/{n}/

L'équipe Compte Formation
"""
    )


def test_a_proposal_as_requested_is_not_called_the_provider_s(holder, deliver_emails):
    registration = a_file(holder)

    text = sent(
        deliver_emails,
        lambda: services.validate_registration(registration=registration, actor=None, now=LATER),
    )

    words = " ".join(text.split())
    assert "L'organisme de formation a accepté votre demande et vous envoie sa proposition." in words
    assert "Proposition de l'organisme :" not in words
    assert "Prix : 2\xa0400,00\xa0€" in text


@pytest.mark.parametrize(
    ("code", "words", "reason"),
    [
        ("other", "Le formateur est indisponible.", "Le formateur est indisponible."),
        ("session_full", "", "Session complète"),
        ("session_full", "Plus de place en juillet.", "Session complète : Plus de place en juillet."),
    ],
)
def test_text_of_a_refusal_by_the_provider_gives_its_reason(holder, deliver_emails, code, words, reason):
    registration = a_file(holder)

    text = sent(
        deliver_emails,
        lambda: services.refuse_registration_by_provider(
            registration=registration, actor=None, reason_code=code, reason=words, now=LATER
        ),
    )

    n = registration.pk
    assert (
        text
        == f"""Demande d'inscription refusée par l'organisme – Développeur web et web mobile

Bonjour Camille,

L'organisme de formation ne peut pas donner suite à votre demande
d'inscription.
Motif : {reason}

Aucun euro de vos droits n'a été engagé. Vous pouvez chercher une autre
session ou une autre formation.

{summary(n)}

Votre dossier : http://testserver/compte/dossiers/{n}/

L'équipe Compte Formation
"""
    )


def test_text_of_the_purchase_code(holder, deliver_emails, monkeypatch):
    monkeypatch.setattr(purchase_codes.secrets, "randbelow", lambda n: 42137)
    registration = services.validate_registration(registration=a_file(holder), actor=None, now=LATER)

    text = sent(
        deliver_emails, lambda: send_purchase_code(registration=registration, holder=holder, now=LATER)
    )

    n = registration.pk
    # LATER is 12:00 in Paris.
    assert (
        text
        == f"""Code de confirmation d'achat : dossier n° {n} – Développeur web et web mobile

Bonjour Camille,

Pour confirmer l'achat de la formation ci-dessous, saisissez ce code dans
votre dossier :

042137

Il est valable 10 minutes, jusqu'à 12 h 10, et ne sert qu'une fois.

{summary(n)}

Ne communiquez ce code à personne : ni l'organisme de formation ni le service
Compte Formation ne vous le demanderont. Si vous n'avez pas demandé ce code,
ne faites rien : sans lui, rien ne peut être acheté en votre nom ; changez
toutefois votre mot de passe.

Votre dossier : http://testserver/compte/dossiers/{n}/

L'équipe Compte Formation
"""
    )


def test_text_of_a_refused_payment(holder, deliver_emails):
    registration = services.validate_registration(registration=a_file(holder), actor=None, now=LATER)

    text = sent(deliver_emails, lambda: emails.notify_payment_refused(registration))

    n = registration.pk
    assert (
        text
        == f"""Paiement refusé – Développeur web et web mobile

Bonjour Camille,

Votre paiement par carte n'a pas abouti : rien n'a été débité, et vos droits
ne sont pas engagés. Votre inscription n'est pas encore confirmée : vous
pouvez réessayer depuis votre dossier.

{summary(n)}

Proposition à valider au plus tard le vendredi 21 mai 2027.

Votre dossier : http://testserver/compte/dossiers/{n}/

L'équipe Compte Formation
"""
    )


def test_text_of_a_refund(holder, deliver_emails):
    registration = walk_to(a_file(holder), S.ACCEPTED)

    text = sent(deliver_emails, lambda: emails.notify_refund(registration, 1_234_56))

    n = registration.pk
    assert (
        text
        == f"""Remboursement de votre paiement par carte – Développeur web et web mobile

Bonjour Camille,

Nous vous remboursons 1\xa0234,56\xa0€ sur la carte utilisée pour payer cette
formation. Le montant apparaît sur votre compte bancaire sous quelques jours,
selon votre banque.

{summary(n)}

Votre dossier : http://testserver/compte/dossiers/{n}/

L'équipe Compte Formation
"""
    )


def test_the_sweeper_tells_each_holder_their_file_lapsed(holder, deliver_emails):
    registration = a_file(holder)

    text = sent(deliver_emails, lambda: services.lapse_overdue_registrations(now=paris(2027, 5, 20)))

    assert " ".join(text.split()).startswith(
        "Demande d'inscription annulée : délai dépassé – Développeur web et web mobile "
        "Bonjour Camille, "
        "L'organisme de formation n'a pas répondu à votre demande dans le délai prévu : elle "
        "est annulée. Aucun euro de vos droits n'a été engagé. Vous pouvez faire une "
        "nouvelle demande. Formation : Développeur web et web mobile"
    )
    assert max(len(line) for line in text.splitlines()) <= 78
    assert f"Dossier n° {registration.pk}\n\nVotre dossier" in text


@pytest.mark.parametrize(
    ("deadline", "words"),
    [
        (paris(2027, 5, 20), "L'organisme doit répondre au plus tard le mercredi 19 mai 2027."),
        (paris(2027, 5, 20, 14, 5), "L'organisme doit répondre avant le jeudi 20 mai 2027 à 14 h 05."),
        (None, None),
    ],
)
def test_the_next_deadline_in_words(deadline, words):
    assert emails.deadline_in_words(Registration(status=S.NOT_PROCESSED, deadline_at=deadline)) == words


def test_the_file_link_is_the_holder_s_page_of_the_file():
    assert emails.file_url(Registration(pk=42)) == "http://testserver/compte/dossiers/42/"


def test_entry_and_exit_name_the_days_declared_not_the_days_of_the_declarations(holder, deliver_emails):
    # given a file accepted for the session of Monday 5 July to Thursday 30 September 2027
    registration = walk_to(a_file(holder), S.ACCEPTED)

    # when the provider declares the entry on Wednesday 7 July, the exit on Friday 1 October
    entry = sent(
        deliver_emails,
        lambda: MACHINE.transition(
            registration,
            to=S.IN_TRAINING,
            actor=None,
            reason="",
            now=paris(2027, 7, 7, 9),
            fields={"entry_date": datetime.date(2027, 7, 5)},
        ),
    )
    exit_ = sent(
        deliver_emails,
        lambda: MACHINE.transition(
            registration,
            to=S.TERMINATED,
            actor=None,
            reason="",
            now=paris(2027, 10, 1, 9),
            fields={"exit_date": datetime.date(2027, 9, 30)},
        ),
    )

    # then each tells the day the holder entered or left (rule 20)
    assert (
        "L'organisme de formation a déclaré votre entrée en formation, à la date du\n"
        "lundi 5 juillet 2027. Le paiement de la formation est maintenant débité de vos\n"
        "droits. Bonne formation !\n"
    ) in entry
    assert (
        "L'organisme de formation a déclaré votre sortie de formation, à la date du\n"
        "jeudi 30 septembre 2027. Il déclarera ensuite les heures suivies (le service\n"
        "fait).\n"
    ) in exit_


@pytest.mark.parametrize(
    ("rights", "card", "flat", "words"),
    [
        (
            500_00,
            1_900_00,
            103_20,
            f"500,00{NBSP}€ sont réservés sur votre compte et 2{NBSP}003,20{NBSP}€ ont été payés par "
            "carte, participation forfaitaire comprise.",
        ),
        (2_400_00, 0, 0, f"2{NBSP}400,00{NBSP}€ sont réservés sur votre compte."),
        (0, 2_400_00, 0, f"2{NBSP}400,00{NBSP}€ ont été payés par carte."),
    ],
)
def test_the_confirmation_says_what_the_account_and_the_card_paid(
    holder, deliver_emails, rights, card, flat, words
):
    # given a proposal whose acceptance split the price (rule 10)
    registration = services.validate_registration(registration=a_file(holder), actor=None, now=LATER)
    split = {"price_cents": 2_400_00, "rights_cents": rights, "grants": [], "credit_note_cents": 0}
    split |= {"card_cents": card, "flat_participation_cents": flat, "exemption": None}
    Registration.objects.filter(pk=registration.pk).update(split=split)

    # when it is accepted
    text = sent(deliver_emails, lambda: move(registration, S.ACCEPTED))

    # then the e-mail says who paid what
    assert f"votre inscription est confirmée. {words} Si vous deviez annuler" in " ".join(text.split("\n"))


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (datetime.date(2027, 3, 1), "lundi 1er mars 2027"),
        (datetime.date(2026, 12, 17), "jeudi 17 décembre 2026"),
    ],
)
def test_days_are_written_as_in_french(day, words):
    assert emails.day_in_words(day) == words


def test_an_e_mail_sent_after_the_file_moved_on_tells_the_step_it_was_queued_for(holder, deliver_emails):
    registration = a_file(holder)
    deliver_emails()
    mail.outbox.clear()
    proposed = move(registration, S.VALIDATED)
    move(proposed, S.REFUSED_BY_ATTENDEE, now=LATER + datetime.timedelta(hours=1))

    deliver_emails()

    proposal, refusal = sorted(mail.outbox, key=lambda message: "Proposition de" not in message.subject)
    assert proposal.subject.startswith("Proposition de l'organisme à valider")
    assert "Proposition à valider avant le mercredi 19 mai 2027 à 12 h 00." in " ".join(proposal.body.split())
    assert refusal.subject.startswith("Proposition refusée")
    assert "à valider" not in refusal.body
