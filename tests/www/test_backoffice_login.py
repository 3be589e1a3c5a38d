"""The back-office's door (docs/adr/0008): agents only, with their password and then the code of
their second factor (TOTP, enrolled at the first login); holders and members are refused there
whatever they type; every failure, a wrong code included, counts towards the lock-out."""

from __future__ import annotations

import base64
import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cpf.accounts.enums import LoginCounterScope, UserKind
from cpf.accounts.models import LoginAttemptCounter
from cpf.accounts.throttling import agent_login_key
from cpf.www.backoffice.views import PENDING
from tests.accounts.factories import NOW, PASSWORD, agent, member, verified_device
from tests.holders.factories import holder_with_login

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
CODE = reverse("admin:login_code")
ENROLMENT = reverse("admin:login_enrolment")
INDEX = reverse("admin:index")
AGENT = {"username": "agent", "password": PASSWORD}


@pytest.fixture(autouse=True)
def frozen_clock():
    """TOTP codes depend on the time: the test computes them at the moment the site checks them."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def code_of(device: TOTPDevice, *, steps: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps):06d}"


def wrong_code(device: TOTPDevice) -> str:
    accepted = {code_of(device, steps=step) for step in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(10**6)) if code not in accepted)


def shown_secret(page: str) -> str:
    return re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', page).group(1)


def every_admin_page() -> list[str]:
    pages = [INDEX]
    for model in admin.site._registry:
        pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    return pages


def test_an_agent_logged_in_without_a_verified_second_factor_sees_no_admin_page(client):
    user = agent(superuser=True)
    unconfirmed = TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=False)
    someone_elses = verified_device(agent("autre-agent"))

    for device_id in (None, unconfirmed.persistent_id, someone_elses.persistent_id):
        client.force_login(user, backend="cpf.accounts.backends.AgentBackend")
        if device_id:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device_id
            session.save()
        for page in every_admin_page():
            response = client.get(page)
            assert (response.status_code, response.url.split("?")[0]) == (302, LOGIN), (device_id, page)


def test_the_right_password_alone_logs_nobody_in(client):
    verified_device(agent(superuser=True))

    response = client.post(LOGIN, AGENT)

    assert (response.status_code, response.url) == (302, CODE)
    assert SESSION_KEY not in client.session
    assert client.get(INDEX).status_code == 302
    assert "Saisissez le code à 6 chiffres" in client.get(CODE).text


def test_an_agent_logs_in_with_the_password_then_the_code_and_lands_where_they_were_going(client):
    user = agent(superuser=True)
    device = verified_device(user)
    target = reverse("admin:holders_holder_changelist")

    client.post(f"{LOGIN}?next={target}", {**AGENT, "next": target})
    response = client.post(CODE, {"code": code_of(device)})

    assert (response.status_code, response.url) == (302, target)
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING not in client.session
    assert client.get(target).status_code == 200
    assert client.get(LOGIN).url == INDEX
    assert not LoginAttemptCounter.objects.filter(scope=LoginCounterScope.ACCOUNT).exists()


def test_an_agent_without_a_device_enrols_one_from_a_qr_code_then_logs_in(client):
    user = agent(superuser=True)

    client.post(LOGIN, AGENT)
    sent_on = client.get(CODE)
    page = client.get(ENROLMENT)
    device = TOTPDevice.objects.get(user=user)
    secret = base64.b32encode(device.bin_key).decode()
    response = client.post(ENROLMENT, {"code": code_of(device)})

    assert (sent_on.status_code, sent_on.url) == (302, ENROLMENT)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert shown_secret(page.text) == " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert device.confirmed is False
    assert (response.status_code, response.url) == (302, INDEX)
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(INDEX).status_code == 200


def test_the_enrolment_page_keeps_its_secret_until_confirmed_and_is_closed_afterwards(client):
    user = agent(superuser=True)
    client.post(LOGIN, AGENT)

    first = shown_secret(client.get(ENROLMENT).text)
    again = shown_secret(client.get(ENROLMENT).text)
    device = TOTPDevice.objects.get(user=user)
    client.post(ENROLMENT, {"code": code_of(device)})
    client.post(reverse("admin:logout"))
    client.post(LOGIN, AGENT)

    assert first == again
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert client.get(ENROLMENT).url == CODE


def test_a_wrong_code_counts_as_a_failure_and_the_limit_locks_even_the_right_code(client):
    device = verified_device(agent(superuser=True))
    client.post(LOGIN, AGENT)

    refused = [client.post(CODE, {"code": wrong_code(device)}) for _ in range(settings.LOGIN_FAILURE_LIMIT)]

    assert [response.status_code for response in refused] == [200, 200, 200, 200, 429]
    assert "Code incorrect ou expiré" in refused[0].text
    assert "Il vous reste 1 essai avant le blocage temporaire de la connexion." in refused[3].text
    assert "Un administrateur du back-office peut la débloquer." in refused[4].text
    counted = LoginAttemptCounter.objects.get(scope=LoginCounterScope.ACCOUNT)
    assert (counted.account_key, counted.failures) == (agent_login_key("agent"), 5)
    # the right password and code no longer open the door while the lock lasts
    assert client.post(CODE, {"code": code_of(device)}).url == LOGIN
    assert client.post(LOGIN, AGENT).status_code == 429
    assert SESSION_KEY not in client.session


def test_the_code_step_waits_five_minutes_for_the_code(client, frozen_clock):
    verified_device(agent(superuser=True))
    client.post(LOGIN, AGENT)

    frozen_clock.shift(datetime.timedelta(minutes=5, seconds=1))
    response = client.get(CODE)

    assert (response.status_code, response.url) == (302, LOGIN)


@pytest.mark.parametrize("step", [CODE, ENROLMENT])
def test_the_second_step_without_the_first_sends_to_the_login(client, step):
    agent(superuser=True)

    response = client.get(step)

    assert (response.status_code, response.url) == (302, LOGIN)


def holder_login() -> str:
    return holder_with_login().user.username


def provider_member_login() -> str:
    return member(UserKind.PROVIDER_MEMBER, "equipe@organisme.example").username


def funder_member_login() -> str:
    return member(UserKind.FUNDER_MEMBER, "agent@financeur.example").email


def agent_without_back_office() -> str:
    agent("support-sans-acces").__class__.objects.filter(username="support-sans-acces").update(is_staff=False)
    return "support-sans-acces"


@pytest.mark.parametrize(
    "make_login", [holder_login, provider_member_login, funder_member_login, agent_without_back_office]
)
def test_only_staff_agents_pass_the_door_whatever_others_type(client, make_login):
    username = make_login()

    response = client.post(LOGIN, {"username": username, "password": PASSWORD})

    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.text
    assert SESSION_KEY not in client.session
    assert PENDING not in client.session
    counted = LoginAttemptCounter.objects.get(scope=LoginCounterScope.ACCOUNT)
    assert (counted.account_key, counted.failures) == (agent_login_key(username), 1)


def test_guessing_a_holders_password_at_the_back_office_never_confirms_it(client):
    username = holder_login()
    wrong = [
        {"username": username, "password": f"Essai{n}2026"} for n in range(settings.LOGIN_FAILURE_LIMIT - 1)
    ]

    answers = [client.post(LOGIN, guess).status_code for guess in wrong]
    fifth_and_right = client.post(LOGIN, {"username": username, "password": PASSWORD})

    assert answers == [200, 200, 200, 200]
    assert fifth_and_right.status_code == 429
    assert SESSION_KEY not in client.session
